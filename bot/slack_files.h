/* bot/slack_files.h -- two chat_ops of the Slack adapter that need more than one
 * message: a file for one user (the export), through Slack's external upload
 * (conversations.open, files.getUploadURLExternal, the upload URL,
 * files.completeUploadExternal), and users' display names (users.info, cached). */
#ifndef CANCELBOT_BOT_SLACK_FILES_H
#define CANCELBOT_BOT_SLACK_FILES_H

#include "bot/chat.h"

int slack_send_file(struct chat *chat, const char *user, const char *filename,
                    const char *title, const char *comment, const char *bytes, size_t len,
                    chat_file_cb cb, void *ud);
int slack_user_name(struct chat *chat, const char *user, chat_name_cb cb, void *ud);
/* Frees the names cache (at the end). */
void slack_names_free(struct slack_chat *sc);

#endif
