# WhatsApp approved templates synced from Meta (the inbox's WABA id, "Sync templates").

wasync-f-waba-id = WhatsApp Business Account ID
wasync-h-waba-id = Optional: WhatsApp → API Setup in Meta's App Dashboard. With it, Admin → Templates can sync this number's approved templates.
wasync-title = Sync from Meta
wasync-lead = Reads the approved templates of each WhatsApp Cloud inbox from Meta and keeps them here, matched by name and language. Templates of that inbox that Meta no longer lists as approved (pending, rejected, paused, deleted) are removed. A media header's file you set yourself is kept.
wasync-button = Sync templates
wasync-no-waba = Set its WhatsApp Business Account ID in the inbox's settings first.
wasync-inbox-settings = Inbox settings
wasync-waba = WABA { $id }
wasync-synced-chip = Synced from Meta
wasync-done = { $synced ->
    [one] 1 approved template synced
   *[other] { $synced } approved templates synced
}, { $skipped } skipped{ $removed ->
    [0] {""}
    [one] , 1 removed
   *[other] , { $removed } removed
}.
wasync-error-no-waba = This inbox has no WhatsApp Business Account ID: set it in the inbox's settings, then sync again.
wasync-error-token = Meta refused the inbox's access token (expired, revoked or mistyped). Nothing was changed. Meta said: { $detail }
wasync-error-not-found = Meta does not let this access token read that WhatsApp Business Account (check the ID and the token's permissions). Nothing was changed. Meta said: { $detail }
wasync-error-rate = Meta is limiting requests right now; try again in a few minutes. Nothing was changed. Meta said: { $detail }
wasync-error-failed = Meta refused the template list. Nothing was changed. Meta said: { $detail }
wasync-error-unreachable = Meta could not be reached. Nothing was changed. { $detail }
wasync-error-too-many = Meta lists { $count } approved templates, more than Charla keeps. Nothing was changed.
wasync-field-header = Header { "{{" }1{ "}}" }
wasync-field-button = End of the link of “{ $button }”
wasync-field-example = e.g. { $example }
wasync-footer = Footer
wasync-header-video = Video
