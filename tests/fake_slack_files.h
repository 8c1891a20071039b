/* tests/fake_slack_files.h -- the fake Slack's file uploads, as Slack's external
 * upload works: files.getUploadURLExternal hands out a file id and an upload URL on
 * the fake itself, a POST there stores the bytes, files.completeUploadExternal shares
 * them. The bytes of each upload are written to DIR/<file id> (when a DIR was given),
 * for the test to read. */
#ifndef CANCELBOT_TESTS_FAKE_SLACK_FILES_H
#define CANCELBOT_TESTS_FAKE_SLACK_FILES_H

#include <stddef.h>
#include <jansson.h>

#define FAKE_UPLOAD_PREFIX "/upload/v1/"

struct fake_files;

/* dir: where uploads are written (copied); NULL: kept in memory only. */
struct fake_files *fake_files_new(const char *dir);
void fake_files_free(struct fake_files *ff);
/* files.getUploadURLExternal: body holds filename and length. New reference. */
json_t *fake_files_get_upload_url(struct fake_files *ff, json_t *body, int port);
/* A POST to FAKE_UPLOAD_PREFIX<file id>: the HTTP status to answer (200; 404 for an
 * unknown id; 500 when the file could not be written), and *entry, the log line
 * (kind "upload": file_id, length). */
int fake_files_receive(struct fake_files *ff, const char *path, const char *bytes, size_t len,
                       json_t **entry);
/* files.completeUploadExternal: body holds files (an array, or its JSON text in a
 * form) and optionally channel_id. New reference. */
json_t *fake_files_complete(struct fake_files *ff, json_t *body);

#endif
