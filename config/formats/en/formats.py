"""How Trellis writes dates and times on every page, in emails and in the admin: "1 Dec 2026", "1 Dec 2026, 14:05".

Input formats are Django's own for English (ISO first), so `<input type="date">` keeps its ISO value and the
browser's picker.
"""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
