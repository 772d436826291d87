/* native_baseline.c — the native baseline of bench/batch.py: walk the same
 * input tree, stat() every file and insert (path, size) into SQLite with a
 * prepared statement in one transaction: the least any tool doing
 * "byte-counter" over these files must do. Prints the elapsed seconds. */
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

static sqlite3_stmt *insert;
static long files;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)ftw;
    if (type != FTW_F) return 0;
    struct stat again;
    if (stat(path, &again) != 0) return 0;
    sqlite3_bind_text(insert, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(insert, 2, st->st_size);
    sqlite3_step(insert);
    sqlite3_reset(insert);
    files++;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: native_baseline DIR DB\n"); return 2; }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sqlite3 *db;
    if (sqlite3_open(argv[2], &db) != SQLITE_OK) return 1;
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; DROP TABLE IF EXISTS f;"
                     "CREATE TABLE f (path TEXT, size INTEGER); BEGIN", NULL, NULL, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO f VALUES (?, ?)", -1, &insert, NULL);
    nftw(argv[1], visit, 64, FTW_PHYS);
    sqlite3_finalize(insert);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%ld %.6f\n", files, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
