/* tests/fake_slack_files.c -- see fake_slack_files.h. Errors follow Slack's reference
 * for the two methods: invalid_arguments for a missing or malformed filename, length
 * or files; file_not_found for an id never handed out or whose bytes never came;
 * channel_not_found for a channel_id that is not a channel (C, G or D ...). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/fake_slack_files.h"

struct fake_file {
    char id[16];
    char *name;
    long long declared;           /* the length given to getUploadURLExternal */
    char *bytes;                  /* NULL until POSTed */
    size_t len;
};

struct fake_files {
    struct fake_file *v;
    size_t n, cap;
    char *dir;
};

static json_t *error(const char *e)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", e);
}

struct fake_files *fake_files_new(const char *dir)
{
    struct fake_files *ff = calloc(1, sizeof(*ff));
    if (!ff || (dir && !(ff->dir = strdup(dir))))
        abort();
    return ff;
}

static int save(const struct fake_files *ff, const struct fake_file *f)
{
    char path[4096];
    FILE *out;
    int ok;
    if (!ff->dir)
        return 0;
    snprintf(path, sizeof(path), "%s/%s", ff->dir, f->id);
    if (!(out = fopen(path, "wb")))
        return -1;
    ok = fwrite(f->bytes, 1, f->len, out) == f->len;
    return fclose(out) == 0 && ok ? 0 : -1;
}

void fake_files_free(struct fake_files *ff)
{
    if (!ff)
        return;
    for (size_t i = 0; i < ff->n; i++) {
        free(ff->v[i].name);
        free(ff->v[i].bytes);
    }
    free(ff->v);
    free(ff->dir);
    free(ff);
}

static struct fake_file *find(struct fake_files *ff, const char *id)
{
    for (size_t i = 0; id && i < ff->n; i++)
        if (!strcmp(ff->v[i].id, id))
            return &ff->v[i];
    return NULL;
}

/* A form gives "1234", JSON 1234: both are a length; anything else is not. */
static int length_arg(json_t *v, long long *out)
{
    char *end;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
    } else if (json_is_string(v) && *json_string_value(v)) {
        *out = strtoll(json_string_value(v), &end, 10);
        if (*end)
            return -1;
    } else {
        return -1;
    }
    return *out > 0 ? 0 : -1;
}

json_t *fake_files_get_upload_url(struct fake_files *ff, json_t *body, int port)
{
    const char *name = json_string_value(json_object_get(body, "filename"));
    long long length;
    char url[128];
    struct fake_file *f;
    if (!name || !*name || length_arg(json_object_get(body, "length"), &length))
        return error("invalid_arguments");
    if (ff->n == ff->cap) {
        ff->cap = ff->cap ? ff->cap * 2 : 4;
        if (!(ff->v = realloc(ff->v, ff->cap * sizeof(*ff->v))))
            abort();
    }
    f = &ff->v[ff->n++];
    memset(f, 0, sizeof(*f));
    snprintf(f->id, sizeof(f->id), "F%07zu", ff->n);
    if (!(f->name = strdup(name)))
        abort();
    f->declared = length;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d" FAKE_UPLOAD_PREFIX "%s", port, f->id);
    return json_pack("{s:b, s:s, s:s}", "ok", 1, "upload_url", url, "file_id", f->id);
}

int fake_files_receive(struct fake_files *ff, const char *path, const char *bytes, size_t len,
                       json_t **entry)
{
    struct fake_file *f = find(ff, path + strlen(FAKE_UPLOAD_PREFIX));
    *entry = json_pack("{s:s, s:I}", "file_id", f ? f->id : "", "length", (json_int_t)len);
    if (!f)
        return 404;
    free(f->bytes);
    if (!(f->bytes = malloc(len ? len : 1)))
        abort();
    if (len)
        memcpy(f->bytes, bytes, len);
    f->len = len;
    return save(ff, f) == 0 ? 200 : 500;
}

json_t *fake_files_complete(struct fake_files *ff, json_t *body)
{
    json_t *files = json_object_get(body, "files"), *parsed = NULL, *out, *e;
    const char *channel = json_string_value(json_object_get(body, "channel_id"));
    size_t i;
    if (json_is_string(files))    /* a form carries the array as JSON text */
        files = parsed = json_loads(json_string_value(files), 0, NULL);
    if (!json_is_array(files) || json_array_size(files) == 0) {
        json_decref(parsed);
        return error("invalid_arguments");
    }
    if (channel && !strchr("CGD", channel[0])) {
        json_decref(parsed);
        return error("channel_not_found");
    }
    out = json_array();
    json_array_foreach(files, i, e) {
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *title = json_string_value(json_object_get(e, "title"));
        struct fake_file *f = find(ff, id);
        if (!id) {
            json_decref(out);
            json_decref(parsed);
            return error("invalid_arguments");
        }
        if (!f || !f->bytes || (long long)f->len != f->declared) {
            json_decref(out);
            json_decref(parsed);
            return error("file_not_found");
        }
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:I, s:o}", "id", f->id,
                                             "name", f->name, "title", title ? title : f->name,
                                             "size", (json_int_t)f->len, "channels",
                                             channel ? json_pack("[s]", channel) : json_array()));
    }
    json_decref(parsed);
    return json_pack("{s:b, s:o}", "ok", 1, "files", out);
}
