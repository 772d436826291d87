/* dedup.h — contents seen in this run, by SHA-256: the first content with
 * a given hash is processed, later ones are recorded as its duplicates.
 * Thread-safe. */
#ifndef WADUP_RUN_DEDUP_H
#define WADUP_RUN_DEDUP_H
#include <stdint.h>

typedef struct run_dedup run_dedup_t;
run_dedup_t *run_dedup_new(void);
void run_dedup_free(run_dedup_t *d);
/* run_dedup_claim: if sha is new, remember it for `id` and return 0;
 * otherwise return the id of the content that has it (-1 if out of
 * memory, in which case the content is processed anyway). */
int64_t run_dedup_claim(run_dedup_t *d, const uint8_t sha[32], int64_t id);
#endif
