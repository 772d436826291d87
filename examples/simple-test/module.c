/* simple-test — the smallest WADUP module: process() succeeds and does
 * nothing (no metadata, no sub-content). Used to test the host's plumbing. */
#define WADUP_IMPLEMENTATION
#include "wadup.h"

WADUP_EXPORT("process")
int process(void) { return 0; }
