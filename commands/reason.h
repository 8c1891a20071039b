/* commands/reason.h -- private to commands/: the reason codes and the test that a note
 * says something specific. cmd.c uses them for its refusals and its help text; the
 * public entry, cmd_reason_from_alias(), is declared in cmd.h. */
#ifndef CANCELBOT_COMMANDS_REASON_H
#define CANCELBOT_COMMANDS_REASON_H

/* The AWS codes as messages list them. A macro, not a function, so that the help
 * text can be one string literal; tests check it against the table in reason.c. */
#define CMD_AWS_REASON_LIST                                                      \
    "INCORRECT_TERMS_ACCEPTED, REPLACING_AGREEMENT, TEST_AGREEMENT, "            \
    "ALTERNATIVE_PROCUREMENT_CHANNEL, PRODUCT_DISCONTINUED, UNINTENDED_RENEWAL, " \
    "BUYER_DISSATISFACTION, OTHER"

/* 1 when the note only says that someone wanted it ("no longer needed", "customer
 * request", or a bare reason code), ignoring case and punctuation. Length is the
 * caller's rule, not this one. */
int cmd_note_is_vague(const char *note);

#endif
