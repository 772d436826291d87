/* uuid.h — random (version 4) UUIDs for contents. */
#ifndef WADUP_UTIL_UUID_H
#define WADUP_UTIL_UUID_H
/* uuid_v4: write a lowercase hyphenated UUID v4 and its NUL into out. */
void uuid_v4(char out[37]);
#endif
