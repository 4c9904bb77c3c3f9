# Files in the website chat widget (static/widget/charla.js), in the visitor's language.

widgetfiles-attach = Attach a file
widgetfiles-drop = Drop files here to send them
widgetfiles-uploading = Uploading…
# $name is filled in by the widget (the file's name).
widgetfiles-remove = Remove { $name }
# $name is filled in by the widget (the file's name).
widgetfiles-download = Download { $name }
widgetfiles-image = Image
widgetfiles-off = This chat does not take files. Nothing was sent.
widgetfiles-network = the connection was lost
widgetfiles-session = The chat has to reconnect before it can send files; try again in a moment.
widgetfiles-too-many = Too many files; try again in { $seconds } s. Nothing was kept.
# Admin: the website inbox's setting.
widgetfiles-setting = Visitors may send files
widgetfiles-setting-hint = Images, PDFs and the other accepted types, checked from their content, up to the widget's size limit.
