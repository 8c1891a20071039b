/* tests/fuzz_replay.c -- runs a fuzz harness's LLVMFuzzerTestOneInput over files, so
 * the inputs that once crashed a fuzzer (tests/data/fuzz-regressions/<target>/) and
 * the seed corpora are replayed by ctest in every build, with gcc and without
 * libFuzzer. Arguments are files or folders (their regular files, not recursively).
 * Fails when a path cannot be read or nothing at all was replayed; a harness that
 * finds a broken promise aborts, and the sanitizer build catches memory errors. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_BYTES (16 * 1024 * 1024)

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    size_t n;
    if (!f) {
        fprintf(stderr, "fuzz_replay: cannot open %s\n", path);
        return -1;
    }
    if (!(buf = malloc(REPLAY_MAX_BYTES))) {
        fclose(f);
        return -1;
    }
    n = fread(buf, 1, REPLAY_MAX_BYTES, f);
    fclose(f);
    /* An exact-size copy, so a read past the input's end is past the allocation too. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int replay_path(const char *path, int *count)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    int rc = 0;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz_replay: no such file or folder: %s\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        rc = replay_file(path);
        *count += rc == 0;
        return rc;
    }
    if (!(d = opendir(path))) {
        fprintf(stderr, "fuzz_replay: cannot read folder %s\n", path);
        return -1;
    }
    while (rc == 0 && (e = readdir(d))) {
        char file[4096];
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(file, sizeof(file), "%s/%s", path, e->d_name) >= (int)sizeof(file) ||
            stat(file, &st) != 0) {
            rc = -1;
            break;
        }
        if (!S_ISREG(st.st_mode))
            continue;
        printf("replay %s\n", file);
        fflush(stdout);                  /* so a crash names the input that caused it */
        if ((rc = replay_file(file)) == 0)
            (*count)++;
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    int count = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE-OR-FOLDER...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (replay_path(argv[i], &count) != 0)
            return 1;
    if (count == 0) {
        fprintf(stderr, "fuzz_replay: nothing to replay in the paths given\n");
        return 1;
    }
    printf("fuzz_replay: %d inputs replayed, none crashed\n", count);
    return 0;
}
