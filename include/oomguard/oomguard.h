/* oomguard — umbrella header. See docs/LIBRARY.md for the embedding guide. */
#ifndef OOMGUARD_OOMGUARD_H
#define OOMGUARD_OOMGUARD_H

#include "status.h"
#include "units.h"
#include "model.h"
#include "discover.h"
#include "remote.h"
#include "catalog.h"
#include "machine.h"
#include "llama.h"
#include "mlx.h"
#include "fit.h"
#include "procs.h"
#include "watch.h"
#include "history.h"
#include "explain.h"
#include "wired.h"
#include "doctor.h"
#include "decide.h"
#include "cluster.h"

#endif
