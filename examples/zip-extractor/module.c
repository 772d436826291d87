/* zip-extractor — if the content is a zip archive, emits every file in it
 * as sub-content named by its path in the archive.
 *
 * Supports stored (0) and deflated (8) entries (zlib raw inflate), Zip64,
 * archives with data descriptors, and checks each entry's CRC-32 and sizes.
 * Every header field is checked against the content size; nothing in the
 * archive is trusted. Stored entries are emitted as zero-copy slices of the
 * content after their CRC has been verified; deflated entries are inflated
 * incrementally into a growing buffer and emitted with wadup_emit_bytes.
 *
 * Limits: an entry may inflate to at most ZX_ENTRY_CAP bytes, and the bytes
 * emitted from one archive to at most ZX_TOTAL_BUDGET; an entry whose
 * declared size exceeds either is refused before inflating, and one that
 * inflates past its declared size is corrupt. Directories, encrypted
 * entries, other methods and multi-disk archives are not extracted.
 *
 * Result: 0 when the content is not a zip (no output), or when every entry
 * was emitted or skipped as corrupt/unsupported (each skip is one stderr
 * line); 1 when it is a zip whose central directory cannot be read as a
 * whole (I/O error, multi-disk, broken Zip64 record, malformed central
 * header: entries before it are still emitted); 2 when memory ran out or an
 * emit failed (the other entries are still tried). */
#define WADUP_IMPLEMENTATION
#include "wadup.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define ZX_ENTRY_CAP ((uint64_t)1 << 30)    /* 1 GiB inflated per entry */
#define ZX_TOTAL_BUDGET ((uint64_t)1 << 30) /* 1 GiB emitted per archive */
#define ZX_CHUNK 65536u                     /* read size for compressed data */
#define ZX_FIRST_ALLOC ((size_t)1 << 20)    /* first output buffer size */

#define ZX_EOCD_SIZE 22u
#define ZX_EOCD_SEARCH (ZX_EOCD_SIZE + 65535u) /* record + largest comment */
#define ZX_LOC64_SIZE 20u
#define ZX_EOCD64_SIZE 56u
#define ZX_CEN_SIZE 46u
#define ZX_LOC_SIZE 30u

#define ZX_SIG_LOCAL 0x04034b50u
#define ZX_SIG_CENTRAL 0x02014b50u
#define ZX_SIG_EOCD 0x06054b50u
#define ZX_SIG_LOC64 0x07064b50u
#define ZX_SIG_EOCD64 0x06064b50u

enum { ZX_OK = 0, ZX_UNREADABLE = 1, ZX_RESOURCES = 2 };

/* The opened content. */
typedef struct {
    int fd;
    uint64_t size;
} zx_input;

/* Where the central directory is, from the (Zip64) end record. */
typedef struct {
    uint64_t entries, cd_offset, cd_size;
} zx_dir;

/* One central directory entry, sizes already widened from Zip64. */
typedef struct {
    uint16_t flags, method;
    uint32_t crc;
    uint64_t csize, usize, offset;
    const unsigned char *name;
    size_t name_len;
    int bad_zip64; /* a needed Zip64 extra field is missing or short */
    char *cname;   /* NUL-terminated copy of name */
} zx_entry;

/* Running state of one archive. */
typedef struct {
    zx_input in;
    uint64_t budget; /* bytes that may still be emitted with copies */
    int status;      /* worst of ZX_OK / ZX_RESOURCES */
} zx_archive;

/* ---- little-endian readers (callers check bounds) ---- */

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const unsigned char *p) { return (uint32_t)rd16(p) | ((uint32_t)rd16(p + 2) << 16); }
static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

/* ---- input ---- */

/* read_at: exactly len bytes at off into buf. 0, or -1 on error/short. */
static int read_at(const zx_input *in, void *buf, size_t len, uint64_t off) {
    unsigned char *p = buf;
    if (off > in->size || len > in->size - off) return -1;
    while (len > 0) {
        ssize_t n = pread(in->fd, p, len, (off_t)off);
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* read_alloc: a malloc'ed copy of [off, off+len), or NULL (reason in *oom). */
static unsigned char *read_alloc(const zx_input *in, uint64_t off, uint64_t len, int *oom) {
    *oom = 0;
    if (len > SIZE_MAX - 1) {
        *oom = 1;
        return NULL;
    }
    unsigned char *buf = malloc(len ? (size_t)len : 1);
    if (!buf) {
        *oom = 1;
        return NULL;
    }
    if (read_at(in, buf, (size_t)len, off) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- messages ---- */

/* print_name: the entry name on stderr, at most 200 bytes, with control
 * bytes shown as '?'. */
static void print_name(const zx_entry *e) {
    size_t n = e->name_len < 200 ? e->name_len : 200;
    fputc('\'', stderr);
    for (size_t i = 0; i < n; i++) fputc(e->name[i] < 0x20 || e->name[i] == 0x7f ? '?' : e->name[i], stderr);
    fputs(n < e->name_len ? "...'" : "'", stderr);
}

static void skip_msg(const zx_entry *e, const char *why) {
    fputs("zip-extractor: entry ", stderr);
    print_name(e);
    fprintf(stderr, ": %s (skipped)\n", why);
}

/* ---- end of central directory ---- */

/* find_eocd: offset of the last end record whose comment fits in the file,
 * or -1. */
static int64_t find_eocd(const zx_input *in, unsigned char *tail, size_t *tail_len, uint64_t *tail_off) {
    size_t len = in->size < ZX_EOCD_SEARCH ? (size_t)in->size : ZX_EOCD_SEARCH;
    uint64_t start = in->size - len;
    if (len < ZX_EOCD_SIZE || read_at(in, tail, len, start) != 0) return -1;
    *tail_len = len;
    *tail_off = start;
    for (size_t i = len - ZX_EOCD_SIZE + 1; i-- > 0;) {
        if (rd32(tail + i) != ZX_SIG_EOCD) continue;
        if (i + ZX_EOCD_SIZE + rd16(tail + i + 20) <= len) return (int64_t)(start + i);
    }
    return -1;
}

/* read_zip64_dir: fill *dir from the Zip64 end record located by the
 * locator just before the end record at eocd. 0 or -1. */
static int read_zip64_dir(const zx_input *in, uint64_t eocd, zx_dir *dir) {
    unsigned char loc[ZX_LOC64_SIZE], rec[ZX_EOCD64_SIZE];
    if (eocd < ZX_LOC64_SIZE || read_at(in, loc, sizeof loc, eocd - ZX_LOC64_SIZE) != 0) return -1;
    if (rd32(loc) != ZX_SIG_LOC64 || rd32(loc + 4) != 0 || rd32(loc + 16) > 1) return -1;
    uint64_t off = rd64(loc + 8);
    if (off > eocd - ZX_LOC64_SIZE || read_at(in, rec, sizeof rec, off) != 0) return -1;
    if (rd32(rec) != ZX_SIG_EOCD64 || rd32(rec + 16) != 0 || rd32(rec + 20) != 0) return -1;
    dir->entries = rd64(rec + 32);
    dir->cd_size = rd64(rec + 40);
    dir->cd_offset = rd64(rec + 48);
    return 0;
}

/* locate_dir: 1 if the content is a zip (dir filled), 0 if it is not, -1
 * if it is one whose directory cannot be read. */
static int locate_dir(const zx_input *in, zx_dir *dir) {
    unsigned char *tail = malloc(ZX_EOCD_SEARCH);
    size_t tail_len = 0;
    uint64_t tail_off = 0;
    if (!tail) {
        fprintf(stderr, "zip-extractor: out of memory\n");
        return -1;
    }
    int64_t eocd = find_eocd(in, tail, &tail_len, &tail_off);
    if (eocd < 0) {
        free(tail);
        return 0;
    }
    const unsigned char *r = tail + ((uint64_t)eocd - tail_off);
    int multi_disk = rd16(r + 4) != 0 || rd16(r + 6) != 0;
    dir->entries = rd16(r + 10);
    dir->cd_size = rd32(r + 12);
    dir->cd_offset = rd32(r + 16);
    int zip64 = dir->entries == 0xFFFF || dir->cd_size == 0xFFFFFFFFu || dir->cd_offset == 0xFFFFFFFFu;
    free(tail);
    if (zip64 && read_zip64_dir(in, (uint64_t)eocd, dir) != 0) {
        fprintf(stderr, "zip-extractor: invalid Zip64 end of central directory\n");
        return -1;
    }
    /* Not a zip unless the directory lies inside the file before the end
     * record and holds at least the claimed number of headers. */
    if (dir->cd_offset > (uint64_t)eocd || dir->cd_size > (uint64_t)eocd - dir->cd_offset) return 0;
    if (dir->entries > dir->cd_size / ZX_CEN_SIZE) return 0;
    if (multi_disk) {
        fprintf(stderr, "zip-extractor: multi-disk archives are not supported\n");
        return -1;
    }
    return 1;
}

/* ---- central directory entries ---- */

/* apply_zip64_extra: replace saturated 32-bit fields of e by the values of
 * the Zip64 extra field (0x0001). 0, or -1 if a needed value is missing. */
static int apply_zip64_extra(zx_entry *e, const unsigned char *extra, size_t len) {
    int need_u = e->usize == 0xFFFFFFFFu, need_c = e->csize == 0xFFFFFFFFu, need_o = e->offset == 0xFFFFFFFFu;
    if (!need_u && !need_c && !need_o) return 0;
    size_t pos = 0;
    while (len - pos >= 4) {
        uint16_t id = rd16(extra + pos), size = rd16(extra + pos + 2);
        pos += 4;
        if (size > len - pos) return -1;
        if (id == 0x0001) {
            const unsigned char *p = extra + pos;
            size_t want = 8u * (size_t)(need_u + need_c + need_o);
            if (size < want) return -1;
            if (need_u) {
                e->usize = rd64(p);
                p += 8;
            }
            if (need_c) {
                e->csize = rd64(p);
                p += 8;
            }
            if (need_o) e->offset = rd64(p);
            return 0;
        }
        pos += size;
    }
    return -1;
}

/* parse_entry: the central header at cd[*pos] (cd_len bytes in all) into
 * *e, advancing *pos. 0, or -1 if the header is malformed. */
static int parse_entry(const unsigned char *cd, size_t cd_len, size_t *pos, zx_entry *e) {
    if (cd_len - *pos < ZX_CEN_SIZE) return -1;
    const unsigned char *h = cd + *pos;
    if (rd32(h) != ZX_SIG_CENTRAL) return -1;
    size_t name_len = rd16(h + 28), extra_len = rd16(h + 30), comment_len = rd16(h + 32);
    size_t total = ZX_CEN_SIZE + name_len + extra_len + comment_len;
    if (total > cd_len - *pos) return -1;
    memset(e, 0, sizeof *e);
    e->flags = rd16(h + 8);
    e->method = rd16(h + 10);
    e->crc = rd32(h + 16);
    e->csize = rd32(h + 20);
    e->usize = rd32(h + 24);
    e->offset = rd32(h + 42);
    e->name = h + ZX_CEN_SIZE;
    e->name_len = name_len;
    *pos += total;
    e->bad_zip64 = apply_zip64_extra(e, h + ZX_CEN_SIZE + name_len, extra_len) != 0;
    return 0;
}

/* data_offset: where e's data starts (after its local header), checked
 * to end by `limit`. 0, or -1 with *why set. */
static int data_offset(const zx_input *in, const zx_entry *e, uint64_t limit, uint64_t *start, const char **why) {
    unsigned char h[ZX_LOC_SIZE];
    if (e->offset > limit || limit - e->offset < ZX_LOC_SIZE || read_at(in, h, sizeof h, e->offset) != 0 ||
        rd32(h) != ZX_SIG_LOCAL) {
        *why = "local header missing or out of bounds";
        return -1;
    }
    uint64_t off = e->offset + ZX_LOC_SIZE + rd16(h + 26) + rd16(h + 28);
    if (off > limit || e->csize > limit - off) {
        *why = "data extends past the central directory";
        return -1;
    }
    *start = off;
    return 0;
}

/* ---- extraction ---- */

/* stored_crc: CRC-32 of [start, start+len) of the content. 0 or -1. */
static int stored_crc(const zx_input *in, uint64_t start, uint64_t len, uint32_t *crc_out) {
    unsigned char *chunk = malloc(ZX_CHUNK);
    if (!chunk) return -1;
    uLong crc = crc32(0L, Z_NULL, 0);
    int rc = 0;
    while (len > 0 && rc == 0) {
        size_t n = len < ZX_CHUNK ? (size_t)len : ZX_CHUNK;
        rc = read_at(in, chunk, n, start);
        if (rc == 0) crc = crc32(crc, chunk, (uInt)n);
        start += n;
        len -= n;
    }
    free(chunk);
    *crc_out = (uint32_t)crc;
    return rc;
}

/* extract_stored: verify e's CRC and emit its bytes as a slice. */
static void extract_stored(zx_archive *a, const zx_entry *e, uint64_t start) {
    uint32_t crc = 0;
    if (e->csize != e->usize) {
        skip_msg(e, "stored entry with different compressed and uncompressed sizes");
    } else if (stored_crc(&a->in, start, e->usize, &crc) != 0) {
        skip_msg(e, "read error or out of memory");
        a->status = ZX_RESOURCES;
    } else if (crc != e->crc) {
        skip_msg(e, "CRC-32 mismatch");
    } else if (wadup_emit_slice(start, e->usize, e->cname) != 0) {
        skip_msg(e, "emit failed");
        a->status = ZX_RESOURCES;
    }
}

/* The output of one inflate: a buffer grown on demand up to `limit`. */
typedef struct {
    unsigned char *data;
    size_t len, cap, limit;
} zx_out;

/* out_grow: make room for more output (doubling, at most limit + 1 so an
 * overrun is seen). 0, or -1 when memory runs out. */
static int out_grow(zx_out *o) {
    size_t max = o->limit + 1;
    size_t cap = o->cap ? (o->cap > max / 2 ? max : o->cap * 2) : (max < ZX_FIRST_ALLOC ? max : ZX_FIRST_ALLOC);
    unsigned char *p = realloc(o->data, cap);
    if (!p) return -1;
    o->data = p;
    o->cap = cap;
    return 0;
}

/* Outcome of inflate_entry. */
enum { ZX_INFLATED, ZX_CORRUPT, ZX_NOMEM };

/* inflate_chunk: feed one chunk of input to z, growing o as needed. Returns
 * a zlib code; Z_BUF_ERROR when the output would exceed o->limit. */
static int inflate_chunk(z_stream *z, zx_out *o, int *nomem) {
    int zr = Z_OK;
    while (zr == Z_OK && (z->avail_in > 0 || o->len == o->cap)) {
        if (o->len == o->cap) {
            if (o->cap > o->limit) return Z_BUF_ERROR; /* one byte past the declared size */
            if (out_grow(o) != 0) {
                *nomem = 1;
                return Z_MEM_ERROR;
            }
        }
        z->next_out = o->data + o->len;
        z->avail_out = (uInt)(o->cap - o->len);
        zr = inflate(z, Z_NO_FLUSH);
        o->len = o->cap - z->avail_out;
        if (zr == Z_BUF_ERROR && z->avail_in == 0 && o->len < o->cap) zr = Z_OK; /* needs more input */
        if (zr == Z_OK && z->avail_in == 0 && o->len < o->cap) break;
    }
    return zr;
}

/* inflate_entry: inflate e's data at start into o (limit e->usize). */
static int inflate_entry(const zx_input *in, const zx_entry *e, uint64_t start, zx_out *o, const char **why) {
    z_stream z;
    memset(&z, 0, sizeof z);
    unsigned char *chunk = malloc(ZX_CHUNK);
    if (!chunk || inflateInit2(&z, -15) != Z_OK) {
        free(chunk);
        return ZX_NOMEM;
    }
    uint64_t left = e->csize;
    int zr = Z_OK, nomem = 0;
    while (zr == Z_OK && left > 0) {
        size_t n = left < ZX_CHUNK ? (size_t)left : ZX_CHUNK;
        if (read_at(in, chunk, n, start) != 0) {
            *why = "read error";
            zr = Z_ERRNO;
            break;
        }
        start += n;
        left -= n;
        z.next_in = chunk;
        z.avail_in = (uInt)n;
        zr = inflate_chunk(&z, o, &nomem);
    }
    inflateEnd(&z);
    free(chunk);
    if (nomem || zr == Z_MEM_ERROR) return ZX_NOMEM;
    if (zr == Z_STREAM_END) return ZX_INFLATED;
    if (zr == Z_OK) *why = "truncated deflate stream";
    else if (zr == Z_BUF_ERROR) *why = "inflates to more than its declared size";
    else if (zr != Z_ERRNO) *why = "invalid deflate data";
    return ZX_CORRUPT;
}

/* extract_deflated: inflate e, check size and CRC, emit the bytes. */
static void extract_deflated(zx_archive *a, const zx_entry *e, uint64_t start) {
    zx_out o = {NULL, 0, 0, (size_t)e->usize};
    const char *why = NULL;
    int r = inflate_entry(&a->in, e, start, &o, &why);
    if (r == ZX_NOMEM) {
        skip_msg(e, "out of memory while inflating");
        a->status = ZX_RESOURCES;
    } else if (r == ZX_CORRUPT) {
        skip_msg(e, why);
    } else if (o.len != e->usize) {
        skip_msg(e, "inflated size differs from the declared size");
    } else if ((uint32_t)crc32(crc32(0L, Z_NULL, 0), o.data, (uInt)o.len) != e->crc) {
        skip_msg(e, "CRC-32 mismatch");
    } else if (wadup_emit_bytes(o.data, o.len, e->cname) != 0) {
        skip_msg(e, "emit failed");
        a->status = ZX_RESOURCES;
    } else {
        a->budget -= o.len;
    }
    free(o.data);
}

/* is_directory: a name ending in '/' is a directory entry. */
static int is_directory(const zx_entry *e) { return e->name_len > 0 && e->name[e->name_len - 1] == '/'; }

/* check_entry: NULL if e may be extracted, else why not. */
static const char *check_entry(const zx_archive *a, const zx_entry *e) {
    if (e->bad_zip64) return "missing or short Zip64 extra field";
    if (e->name_len == 0 || memchr(e->name, 0, e->name_len)) return "empty name or NUL byte in name";
    if (e->flags & 0x0001) return "encrypted";
    if (e->method != 0 && e->method != 8) return "unsupported compression method";
    if (e->usize > ZX_ENTRY_CAP) return "declared size exceeds the 1 GiB per-entry cap";
    if (e->method == 8 && e->usize > a->budget) return "declared size exceeds the remaining memory budget";
    return NULL;
}

/* extract_entry: emit one entry, or skip it with a message. */
static void extract_entry(zx_archive *a, zx_entry *e, uint64_t limit) {
    const char *why = check_entry(a, e);
    uint64_t start = 0;
    if (why || data_offset(&a->in, e, limit, &start, &why) != 0) {
        skip_msg(e, why);
        return;
    }
    e->cname = malloc(e->name_len + 1);
    if (!e->cname) {
        skip_msg(e, "out of memory");
        a->status = ZX_RESOURCES;
        return;
    }
    memcpy(e->cname, e->name, e->name_len);
    e->cname[e->name_len] = 0;
    if (e->method == 0) extract_stored(a, e, start);
    else extract_deflated(a, e, start);
    free(e->cname);
    e->cname = NULL;
}

/* walk_dir: extract every entry of the directory. ZX_* status. */
static int walk_dir(zx_archive *a, const zx_dir *dir) {
    int oom = 0;
    unsigned char *cd = read_alloc(&a->in, dir->cd_offset, dir->cd_size, &oom);
    if (!cd) {
        fprintf(stderr, "zip-extractor: cannot read the central directory (%s)\n", oom ? "out of memory" : "I/O error");
        return oom ? ZX_RESOURCES : ZX_UNREADABLE;
    }
    size_t pos = 0, len = (size_t)dir->cd_size;
    for (uint64_t i = 0; i < dir->entries; i++) {
        zx_entry e;
        if (parse_entry(cd, len, &pos, &e) != 0) {
            fprintf(stderr, "zip-extractor: central directory entry %llu is malformed; stopping\n",
                    (unsigned long long)i);
            free(cd);
            return ZX_UNREADABLE;
        }
        if (!is_directory(&e)) extract_entry(a, &e, dir->cd_offset);
    }
    free(cd);
    return a->status;
}

WADUP_EXPORT("process")
int process(void) {
    zx_archive a = {{-1, 0}, ZX_TOTAL_BUDGET, ZX_OK};
    struct stat st;
    a.in.fd = open("/data.bin", O_RDONLY);
    if (a.in.fd < 0 || fstat(a.in.fd, &st) != 0 || st.st_size < 0) {
        fprintf(stderr, "zip-extractor: cannot open /data.bin\n");
        if (a.in.fd >= 0) close(a.in.fd);
        return ZX_UNREADABLE;
    }
    a.in.size = (uint64_t)st.st_size;
    zx_dir dir;
    int kind = locate_dir(&a.in, &dir);
    int rc = kind < 0 ? ZX_UNREADABLE : kind == 0 ? ZX_OK : walk_dir(&a, &dir);
    close(a.in.fd);
    return rc;
}
