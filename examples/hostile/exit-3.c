/* exit-3.c — hostile command module: main returns 3 (so _start ends with
 * proc_exit(3)).
 *
 * Expected wadup outcome: failure, error_kind = "exit", exit_code = 3.
 * This is a command module: it exports _start only (no process). */
// build-flags: -mexec-model=command
#include <stdio.h>

int main(void) {
    puts("exit-3: exiting with status 3");
    return 3;
}
