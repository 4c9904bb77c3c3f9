# Attachments in the composer (uploads), the timeline and the API.
upload-attach = Attach files
upload-drop = Drop files to attach them
upload-remove = Remove { $name }
upload-caption = Caption (optional)
upload-uploading = Uploading…
upload-failed = The upload of { $name } failed: { $reason }
upload-wait = Wait until the files have finished uploading.
upload-too-large = { $name } is larger than { $limit }, the most one file may be. Nothing of it was kept.
upload-too-large-before = { $name } is { $size }, too large to upload.
upload-type = { $name } cannot be sent: accepted are PDF, JPEG, PNG, GIF and WEBP images, MP4 video, MP3, OGG, M4A and WEBM audio, Word (DOCX) and Excel (XLSX) documents, and TXT and CSV text (the type is read from the file's content, not its name).
upload-empty = { $name } is empty.
upload-unreadable = { $name } could not be read to its end ({ $detail }).
upload-no-file = The upload carried no file.
upload-bad-voice = The voice field must be 1 or 0.
upload-bad-list = The list of attached files is not valid ({ $detail }).
upload-too-many = At most { $count } files per message.
upload-limit = Up to { $limit } per file
upload-voice-note = Voice note
# Files on messaging channels and API inboxes (chanfiles).
chanfiles-type = { $name } cannot be sent on { $channel }: the channel does not carry this type of file. Nothing was sent; your files are still attached.
chanfiles-too-large = { $name } cannot be sent on { $channel }: it is larger than the { $limit } the channel carries. Nothing was sent; your files are still attached.
chanfiles-no-public-url = Files go on this channel as download links, and server.public_url is not set: set it to the address customers reach Charla at. Nothing was sent.
chanfiles-not-with-template = An approved template goes without files: send them in a reply once the customer writes back. Nothing was sent.
