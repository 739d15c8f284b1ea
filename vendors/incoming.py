"""What a request sends, with NUL characters taken out of every query and form parameter's name and value.

No one types a NUL, and PostgreSQL refuses to store or even compare text holding one ("text fields cannot
contain NUL"), so a NUL reaching any query would be a 500 there and not on SQLite. Taking them out where
Werkzeug builds `request.args`, `request.form` and `request.files` (its documented `parameter_storage_class`)
covers every view and form, including those written later. Uploaded files are left as they were sent, but
for their names.
"""

from flask import Request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict


def _without_nul(value):
    if isinstance(value, FileStorage):
        # The file as it was sent; its name, which is shown and stored, without NUL.
        value.filename = _without_nul(value.filename)
        return value
    return value.replace("\x00", "") if isinstance(value, str) else value


class NulFreeParameters(ImmutableMultiDict):
    def __init__(self, mapping=None):
        pairs = MultiDict(mapping).items(multi=True)
        super().__init__([(_without_nul(name), _without_nul(value)) for name, value in pairs])


class SiteRequest(Request):
    parameter_storage_class = NulFreeParameters
