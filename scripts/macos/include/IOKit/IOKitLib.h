/* TEST-ONLY stand-in for <IOKit/IOKitLib.h>, used by scripts/macos-build to
 * cross-compile src/platform/probe_darwin.c on Linux. It declares only what
 * oomguard calls, with the types of Apple's IOKitLib.h / IOTypes.h (macOS 13
 * SDK; IOKitUser's IOKitLib.h on opensource.apple.com has the same). Never used
 * by a real build. docs/verification/macos-calls.md says how it was checked. */
#ifndef OG_MACOS_STUB_IOKITLIB_H
#define OG_MACOS_STUB_IOKITLIB_H

#include <CoreFoundation/CoreFoundation.h>
#include <mach/mach.h>

typedef mach_port_t io_object_t;
typedef io_object_t io_iterator_t;
typedef io_object_t io_registry_entry_t;
typedef io_object_t io_service_t;
typedef UInt32 IOOptionBits;

/* macOS 12 and later (kIOMasterPortDefault before). */
extern const mach_port_t kIOMainPortDefault;

CFMutableDictionaryRef IOServiceMatching(const char *name);
kern_return_t IOServiceGetMatchingServices(mach_port_t mainPort, CFDictionaryRef matching,
                                           io_iterator_t *existing);
io_object_t IOIteratorNext(io_iterator_t iterator);
kern_return_t IOObjectRelease(io_object_t object);
kern_return_t IORegistryEntryCreateCFProperties(io_registry_entry_t entry,
                                                CFMutableDictionaryRef *properties,
                                                CFAllocatorRef allocator, IOOptionBits options);

#endif
