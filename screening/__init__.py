"""Pure screening rules: developmental instruments, the feeding recall with the WHO/UNICEF 2021
indicators, growth flags and anaemia, all returning the one :class:`screening.flags.Flag` type.

No database, no HTTP, no clock: every date (birth, assessment, ``today``) is a parameter. Data of
record (instruments, cut-off tables, messages) is read only from ``reference_data/`` through
:mod:`screening.reference`, which validates every file; call :func:`screening.reference.load_all`
once at start-up so that a broken file stops the service with a message naming file and field.
"""
