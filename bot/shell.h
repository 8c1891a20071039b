/* bot/shell.h -- the terminal stand-in for a Slack channel (like Hubot's shell
 * adapter): the user types slash commands as in Slack, becomes another user with
 * `as`, clicks buttons and reacts by typing, plays the buyer of the simulated
 * marketplace and moves its clock. Output is what Slack would show, as plain text.
 * Reads a terminal or a script on stdin alike. */
#ifndef CANCELBOT_BOT_SHELL_H
#define CANCELBOT_BOT_SHELL_H

#include <stdio.h>
#include "approvals/policy.h"

struct shell_options {
    const char *user;             /* who types first; default U0ALICE */
    const char *db_path;          /* the SQLite record, unless database_url is set */
    const char *database_url;     /* PostgreSQL (DATABASE_URL); NULL: SQLite */
    const char *sim_seed_path;    /* NULL: built-in demo marketplace */
    const struct policy *policy;
    FILE *in;
    FILE *out;
};

/* Runs until `quit` or end of input. Returns a process exit status. */
int shell_run(const struct shell_options *opt);

#endif
