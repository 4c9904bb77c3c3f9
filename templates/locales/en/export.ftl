# Conversations exported as one HTML document (a contact's "Download conversations",
# charla export --format html).

export-title-contact = Conversations with { $name }
export-title-all = Charla: all conversations
export-subtitle = Exported from Charla. Times are in { $zone }; internal notes are marked.
export-about = Conversation #{ $id } · { $channel } · { $status } · started { $started } · last activity { $last }
export-note = (internal note)
export-file = { $name } ({ $mime }, { $size })
export-file-not-kept = { $name } ({ $mime }, { $size }, not kept)
export-snoozed-until = snoozed until { $time }
export-unknown-channel = unknown channel
export-error-format = The format is html or jsonl, not “{ $format }”.
