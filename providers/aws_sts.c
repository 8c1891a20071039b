/* providers/aws_sts.c -- the STS part of the "aws" provider (aws_sts.h): an XML
 * reader sized for STS's answers, and GetCallerIdentity's answer. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "providers/aws_profile.h"
#include "providers/aws_sts.h"

static const char *find_str(const char *p, const char *end, const char *s)
{
    size_t n = strlen(s);
    for (; p && (size_t)(end - p) >= n; p++)
        if (memcmp(p, s, n) == 0)
            return p;
    return NULL;
}

static int starts(const char *p, const char *end, const char *s)
{
    return (size_t)(end - p) >= strlen(s) && memcmp(p, s, strlen(s)) == 0;
}

int aws_xml_find(const char *p, const char *end, const char *name, const char **in,
                 const char **in_end)
{
    static const char *const skips[][2] = {{"<!--", "-->"}, {"<![CDATA[", "]]>"},
                                           {"<?", "?>"}, {"<!", ">"}};
    size_t nl = strlen(name);
    const char *content = NULL;
    int depth = 0;
    while (p < end && (p = memchr(p, '<', (size_t)(end - p)))) {
        const char *t, *gt;
        int closing, skipped = 0, match;
        char quote = 0;
        for (size_t k = 0; k < 4 && !skipped; k++)
            if (starts(p, end, skips[k][0])) {
                if (!(p = find_str(p, end, skips[k][1])))
                    return -1;
                p += strlen(skips[k][1]);
                skipped = 1;
            }
        if (skipped)
            continue;
        closing = p + 1 < end && p[1] == '/';
        t = p + 1 + closing;
        for (gt = t; gt < end && (quote || *gt != '>'); gt++)
            if (*gt == '"' || *gt == '\'')
                quote = quote == *gt ? 0 : quote ? quote : *gt;
        if (gt >= end)
            return -1;
        match = (size_t)(gt - t) >= nl && memcmp(t, name, nl) == 0 &&
                (t + nl == gt || isspace((unsigned char)t[nl]) || t[nl] == '/');
        if (match && !closing && gt[-1] == '/') {
            if (depth == 0) {                    /* <Name/>: present and empty */
                *in = *in_end = gt;
                return 0;
            }
        } else if (match && !closing) {
            if (depth++ == 0)
                content = gt + 1;
        } else if (match && depth > 0 && --depth == 0) {
            *in = content;
            *in_end = p;
            return 0;
        }
        p = gt + 1;
    }
    return -1;
}

int aws_xml_text(const char *p, const char *end, char *out, size_t cap)
{
    static const char *const ents[][2] = {{"amp;", "&"}, {"lt;", "<"}, {"gt;", ">"},
                                          {"quot;", "\""}, {"apos;", "'"}};
    size_t n = 0;
    char *text;
    while (p < end) {
        const char *lit = p, *q;
        size_t litlen = 1;
        char ascii;
        if (starts(p, end, "<![CDATA[") || starts(p, end, "<!--")) {
            int cdata = p[2] == '[';
            if (!(q = find_str(p, end, cdata ? "]]>" : "-->")))
                return -1;
            lit = p + 9;
            litlen = cdata ? (size_t)(q - lit) : 0;
            p = q + 3;
        } else if (*p == '<') {
            return -1;
        } else if (*p == '&') {
            unsigned long cp = 0;
            char *num_end;
            size_t k;
            for (k = 0; k < 5 && !starts(p + 1, end, ents[k][0]); k++)
                ;
            if (k < 5) {
                lit = ents[k][1];
                p += 1 + strlen(ents[k][0]);
            } else if (starts(p, end, "&#")) {
                int hex = p + 2 < end && p[2] == 'x';
                /* strtoul alone would take blanks, signs and a second "0x" */
                if (!(q = memchr(p, ';', (size_t)(end - p))) || q - p > 12 ||
                    !isxdigit((unsigned char)p[2 + hex]))
                    return -1;
                cp = strtoul(p + 2 + hex, &num_end, hex ? 16 : 10);
                /* Credentials are printable ASCII: any other character is an error. */
                if (num_end != q || cp < 0x20 || cp > 0x7e)
                    return -1;
                ascii = (char)cp;
                lit = &ascii;
                p = q + 1;
            } else {
                return -1;
            }
        } else {
            p++;
        }
        if (n + litlen >= cap)
            return -1;
        memcpy(out + n, lit, litlen);
        n += litlen;
    }
    out[n] = '\0';
    text = aws_profile_trim(out);
    memmove(out, text, strlen(text) + 1);
    return 0;
}

int aws_sts_error_code(const char *body, size_t len, char *out, size_t cap)
{
    static const char code_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789.";
    const char *end = body + len, *e0, *e1, *c0, *c1;
    if (aws_xml_find(body, end, "Error", &e0, &e1) || aws_xml_find(e0, e1, "Code", &c0, &c1) ||
        aws_xml_text(c0, c1, out, cap) || !out[0] || out[strspn(out, code_chars)] != '\0')
        return -1;
    return 0;
}

int aws_caller_identity_parse(long status, const char *body, size_t len, char *out,
                              char *err, size_t errlen)
{
    const char *end = body + len, *r0, *r1, *a0, *a1;
    char id[32], code[64];
    if (status < 200 || status > 299) {
        if (aws_sts_error_code(body, len, code, sizeof(code)) == 0)
            snprintf(err, errlen, "STS answered GetCallerIdentity with HTTP %ld, %s", status,
                     code);
        else
            snprintf(err, errlen, "STS answered GetCallerIdentity with HTTP %ld", status);
        return -1;
    }
    if (aws_xml_find(body, end, "GetCallerIdentityResult", &r0, &r1) ||
        aws_xml_find(r0, r1, "Account", &a0, &a1) || aws_xml_text(a0, a1, id, sizeof(id))) {
        snprintf(err, errlen, "STS's GetCallerIdentity answer has no "
                 "GetCallerIdentityResult/Account element");
        return -1;
    }
    if (strlen(id) != AWS_ACCOUNT_ID_MAX - 1 || strspn(id, "0123456789") != strlen(id)) {
        snprintf(err, errlen, "STS's GetCallerIdentity answer names an account that is not "
                 "12 digits");
        return -1;
    }
    memcpy(out, id, AWS_ACCOUNT_ID_MAX);
    return 0;
}
