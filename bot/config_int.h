/* bot/config_int.h -- what the two halves of the policy loader share, and nobody else:
 * config.c (reading, problem text, the secrets pass and the overlay driver) and
 * config_fields.c (what each field accepts). A field check gets a struct cfg, reads
 * its JSON value through config_read_* and overlays the result on c->p, or says why
 * not through config_problem(); it never echoes a value except through config_show(). */
#ifndef CANCELBOT_BOT_CONFIG_INT_H
#define CANCELBOT_BOT_CONFIG_INT_H

#include <stddef.h>
#include <jansson.h>
#include "bot/config.h"

#define PATH_LEN sizeof(((struct config_problem *)0)->path)
#define SHOW_MAX 64                     /* longer strings are never echoed */

struct cfg {
    struct policy *p;
    struct config_report *r;
    struct policy_account *acct;        /* the account whose fields are being read */
};

struct field {
    const char *key;
    void (*check)(struct cfg *c, const char *path, json_t *v);
};

struct shown {
    char s[2 * SHOW_MAX + 3];           /* quoted, each byte at most escaped */
};

struct id_list {
    int (*valid)(const char *s);
    const char *accepted;
    const char *noun;                   /* "channels" */
    const char *limit;                  /* "POLICY_MAX_CHANNELS" */
};

/* Locale-free character classes, for field patterns and for path and secret checks. */
static inline int is_upper(char ch) { return ch >= 'A' && ch <= 'Z'; }
static inline int is_lower(char ch) { return ch >= 'a' && ch <= 'z'; }
static inline int is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static inline int upper_or_digit(char ch) { return is_upper(ch) || is_digit(ch); }
static inline int name_char(char ch)
{
    return upper_or_digit(ch) || is_lower(ch) || ch == '_' || ch == '-';
}

/* config.c */
void config_problem(struct cfg *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int config_secret_key(const char *key);
struct shown config_show(const char *s);
void config_path_key(char *dst, size_t n, const char *parent, const char *key);
void config_path_index(char *dst, size_t n, const char *parent, size_t i);
const char *config_type_name(const json_t *v);
void config_check_object(struct cfg *c, const char *path, json_t *obj, const struct field *f,
                         size_t nf);
int config_want_object(struct cfg *c, const char *path, json_t *v, const char *what);
int config_read_string(struct cfg *c, const char *path, json_t *v, int (*valid)(const char *),
                       const char *accepted, const char **out);
int config_read_int(struct cfg *c, const char *path, json_t *v, long long lo, long long hi,
                    const char *accepted, long long *out);
void config_read_id_list(struct cfg *c, const char *path, json_t *v, const struct id_list *l,
                         char *dst, size_t width, int cap, int *n_out);

/* config_fields.c */
int config_match(const char *s, const char *first, int (*ok)(char), size_t min, size_t max);
extern const struct field config_top_fields[];  /* the policy file's top-level object */
extern const size_t config_n_top_fields;
void config_check_whole(struct cfg *c);

#endif
