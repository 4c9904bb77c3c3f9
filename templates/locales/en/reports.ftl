# Reports: the page, its charts and tables, and its form's refusals.

report-lead-admin = Conversations opened, closed and reopened, first response and resolution times, and replies per conversation, across the workspace.
report-lead-agent = Your own numbers, and those of the inboxes you are a member of.
report-settings = Report settings
report-from = From
report-to = To
report-group-by = Group by
report-only = Only
report-show = Show
report-everyone = Everyone
report-me = Me
report-range = From { $from } to { $to }, days in { $zone }; weeks start on Monday; “Only” applies to days and weeks. Medians and 90th percentiles (P90) are values that occurred (nearest rank).
report-download-all = Download everything (CSV)
report-no-labels = Conversations have no labels yet, so there is nothing to group by label.
report-csv = CSV
report-csv-title = { $table }: download as CSV
report-totals = Totals
report-chart-title = { $title } ({ $from } to { $to })
report-nothing = Nothing in this range
report-no-rows = No rows.

## Tables and their columns

report-conversations = Conversations
report-first-response = First response time
report-resolution = Resolution time
report-replies = Replies per conversation
report-opened = Opened
report-closed = Closed
report-reopened = Reopened
report-responses = Responses
report-median = Median
report-p90 = P90
report-p90-long = 90th percentile
report-total-first-response = First response, median
report-total-resolution = Resolution, median
report-total-replies = Replies per conversation, median
report-p90-value = 90th percentile { $value }

## Groupings and filters

report-by-day = Day
report-by-week = Week
report-by-agent = Agent
report-by-team = Team
report-by-inbox = Inbox
report-by-channel = Channel
report-by-label = Label
report-unassigned = Unassigned
report-no-team = No team
report-week-of = Week of { $date }

## Units of durations: "45 s", "12 min", "3 h", "2 d"

report-unit-s = s
report-unit-min = min
report-unit-h = h
report-unit-d = d

## The form's refusals

report-field = { $field ->
    [from] From
   *[to] To
}
report-error-date = { report-field }: “{ $value }” is not a date. Use YYYY-MM-DD, for example 2026-05-28.
report-error-order = “From” must be on or before “To”.
report-error-too-long = A report covers at most { $days } days: choose a shorter range.
report-error-group-by = “{ $value }” is not a grouping: choose day, week, agent, team, inbox, channel or label.
report-error-filter = “{ $value }” is not a filter: choose one from the “Only” list.
report-error-filter-time = “Only” applies when grouping by day or week.
report-error-table = There is no such table: use conversations, first_response, resolution or replies.
