"""The curation area under /admin: the work to do, vendors, submissions, inquiries, imports, the audit log,
users.

Every view declares who may open it (vendors.accounts.access); nothing here writes a vendor except through
the catalogue writer.
"""

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")


def init_app(app: Flask) -> None:
    from vendors.admin import (  # noqa: F401  (views register themselves on bp)
        audit_log,
        dashboard,
        imports,
        inquiries,
        submissions,
        users,
        vendors,
    )
    from vendors.admin.present import field_label, template_helpers

    app.register_blueprint(bp)
    app.context_processor(template_helpers)
    app.add_template_filter(field_label)
