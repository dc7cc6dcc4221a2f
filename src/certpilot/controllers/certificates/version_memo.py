"""How many object versions the Certificate controllers' memos (runtime.bounded_memo) keep.

Enough for the Certificates being worked on at once; on a restart the controllers check every
Certificate in the same order, close together, so a Certificate's entries are still there when
the next controller reaches it.
"""

MEMO_CAPACITY = 1024
