/* TEST-ONLY stand-in for <CoreFoundation/CoreFoundation.h>, used by
 * scripts/macos-build to cross-compile src/platform/probe_darwin.c on Linux.
 * It declares only what oomguard calls, with the types of Apple's headers
 * (CFBase.h, CFString.h, CFDictionary.h, CFNumber.h of the macOS 13 SDK; the
 * same declarations are in swift-corelibs-foundation's CoreFoundation).
 * Never used by a real build: Homebrew and Xcode builds use the SDK.
 * docs/verification/macos-calls.md says how each declaration was checked. */
#ifndef OG_MACOS_STUB_COREFOUNDATION_H
#define OG_MACOS_STUB_COREFOUNDATION_H

#include <MacTypes.h> /* Boolean, UInt32 (in zig's macOS libc headers) */

typedef const void *CFTypeRef;
typedef unsigned long CFTypeID;
typedef signed long CFIndex;
typedef const struct __CFAllocator *CFAllocatorRef;
typedef const struct __CFString *CFStringRef;
typedef const struct __CFDictionary *CFDictionaryRef;
typedef struct __CFDictionary *CFMutableDictionaryRef;
typedef const struct __CFNumber *CFNumberRef;
typedef UInt32 CFStringEncoding;
typedef CFIndex CFNumberType;

enum { kCFStringEncodingUTF8 = 0x08000100 };
enum { kCFNumberLongLongType = 11 };

extern const CFAllocatorRef kCFAllocatorDefault;

CFTypeID CFGetTypeID(CFTypeRef cf);
void CFRelease(CFTypeRef cf);
CFStringRef CFStringCreateWithCString(CFAllocatorRef alloc, const char *cStr,
                                      CFStringEncoding encoding);
CFTypeID CFDictionaryGetTypeID(void);
const void *CFDictionaryGetValue(CFDictionaryRef theDict, const void *key);
CFTypeID CFNumberGetTypeID(void);
Boolean CFNumberGetValue(CFNumberRef number, CFNumberType theType, void *valuePtr);

/* As CFString.h defines it for clang: a compile-time constant CFString that
 * refers to ___CFConstantStringClassReference in CoreFoundation. */
CFStringRef __CFStringMakeConstantString(const char *cStr);
#if defined(__has_builtin) && __has_builtin(__builtin___CFStringMakeConstantString)
#define CFSTR(cStr) ((CFStringRef)__builtin___CFStringMakeConstantString("" cStr ""))
#else
#define CFSTR(cStr) __CFStringMakeConstantString("" cStr "")
#endif

#endif
