# The audit log is deliberately not registered in the Django admin.
#
# Its readers are the DPO and the functional administrators, through the journal page (`audit:log`), which
# filters, paginates with a constant number of queries and exports for the DPO only (an export that is itself
# journaled). The admin would add a second way in with other rules: staff-wide access, unbounded
# `count(*)` on a table of millions of rows, and change/delete forms on an append-only table.
