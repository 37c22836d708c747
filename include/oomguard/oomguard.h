/* oomguard — umbrella header. See docs/LIBRARY.md for the embedding guide. */
#ifndef OOMGUARD_OOMGUARD_H
#define OOMGUARD_OOMGUARD_H

#include "status.h"
#include "units.h"
#include "model.h"
#include "machine.h"
#include "llama.h"

#endif
