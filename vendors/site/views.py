from flask import Blueprint, render_template
from sqlalchemy import func, select

from vendors.catalog.models import Vendor, VendorFacetValue
from vendors.extensions import db
from vendors.reference.taxonomy import SPECIALISATIONS

bp = Blueprint("site", __name__)


@bp.get("/")
def home():
    published = Vendor.status == "published"
    vendor_count = db.session.scalar(select(func.count()).select_from(Vendor).where(published))
    country_count = db.session.scalar(
        select(func.count(func.distinct(VendorFacetValue.value)))
        .join(Vendor)
        .where(published, VendorFacetValue.facet == "country")
    )
    per_specialisation = dict(
        db.session.execute(
            select(VendorFacetValue.value, func.count())
            .join(Vendor)
            .where(published, VendorFacetValue.facet == "specialisation")
            .group_by(VendorFacetValue.value)
        ).all()
    )
    return render_template(
        "site/home.html",
        vendor_count=vendor_count,
        country_count=country_count,
        specialisations=SPECIALISATIONS,
        per_specialisation=per_specialisation,
    )
