"""The fixed vocabularies of the directory: slug -> label, in display order.

Slugs appear in URLs, the API and CSV files, so they never change once published; labels may.
"""

SPECIALISATIONS: dict[str, str] = {
    "customer-support": "Customer support",
    "sales": "Sales and lead generation",
    "finance-accounting": "Finance and accounting",
    "healthcare": "Healthcare",
    "creative-content": "Creative and content",
    "it-services": "Tech, IT and development",
    "marketing": "Marketing",
    "hr-recruitment": "Talent and HR",
    "administration": "Administration and data entry",
    "supply-chain": "Supply chain management",
    "legal": "Legal process outsourcing",
    "knowledge-research": "Knowledge process outsourcing",
    "content-moderation": "Content moderation",
}

CHANNELS: dict[str, str] = {
    "voice": "Voice",
    "email": "Email",
    "chat": "Chat",
    "social": "Social media",
    "sms": "SMS",
    "back-office": "Back office",
}

CERTIFICATIONS: dict[str, str] = {
    "iso-27001": "ISO 27001",
    "iso-9001": "ISO 9001",
    "pci-dss": "PCI DSS",
    "hipaa": "HIPAA",
    "soc-2": "SOC 2",
    "gdpr": "GDPR-ready",
    "copc": "COPC",
}

COVERAGE: dict[str, str] = {
    "24-7": "24/7",
    "business-hours": "Business hours",
}

STATUSES: dict[str, str] = {
    "draft": "Draft",
    "published": "Published",
    "archived": "Archived",
}


def mid_sentence(label: str) -> str:
    """A label as it reads after a comma: its words in lower case but for abbreviations ("IT help desk" is
    "IT help desk", "Tech, IT and development" is "tech, IT and development")."""
    return " ".join(word if len(word) > 1 and word.isupper() else word.lower() for word in label.split(" "))
