"""Hand-written short business documents for chapter 02 (map-reduce). Writes orchestra/data/documents.jsonl."""

import json
from pathlib import Path

D = [
    (
        "invoice",
        "Invoice from Northwind Traders",
        "INVOICE\nVendor: Northwind Traders Ltd\nInvoice date: March 3, 2025\nDue date: April 2, 2025\n"
        "Amount due: $1,250.00\nQuestions about this invoice: billing@northwind.example\n"
        "Thank you for ordering 25 ergonomic chairs.",
        {
            "vendor": "Northwind Traders Ltd",
            "invoice_date": "2025-03-03",
            "due_date": "2025-04-02",
            "amount": 1250.00,
            "email": "billing@northwind.example",
        },
    ),
    (
        "invoice",
        "Invoice from Bluebird Catering",
        "Bluebird Catering Co thanks you for the team lunch on 2025-03-14. Please pay $486.50 by 2025-03-28. "
        "Send remittance notes to accounts@bluebird.example.",
        {
            "vendor": "Bluebird Catering Co",
            "invoice_date": "2025-03-14",
            "due_date": "2025-03-28",
            "amount": 486.50,
            "email": "accounts@bluebird.example",
        },
    ),
    (
        "invoice",
        "Invoice from Kestrel Systems",
        "Kestrel Systems Inc\nInvoice date: 2025-02-20\nAmount: $12,900.00 for the annual server maintenance contract.\n"
        "Due date: 2025-03-22\nContact: ar@kestrel.example",
        {
            "vendor": "Kestrel Systems Inc",
            "invoice_date": "2025-02-20",
            "due_date": "2025-03-22",
            "amount": 12900.00,
            "email": "ar@kestrel.example",
        },
    ),
    (
        "invoice",
        "Invoice from Pine Street Print",
        "Invoice for 2,000 flyers printed by Pine Street Print Group on 5 March 2025. Total $318.40, "
        "payable by 4 April 2025. Questions: hello@pinestreet.example",
        {
            "vendor": "Pine Street Print Group",
            "invoice_date": "2025-03-05",
            "due_date": "2025-04-04",
            "amount": 318.40,
            "email": "hello@pinestreet.example",
        },
    ),
    (
        "invoice",
        "Invoice from Harbor Cloud",
        "Vendor: Harbor Cloud LLC\nInvoice date: 03/01/2025\nDue date: 03/31/2025\nAmount due: $2,045.75\n"
        "Usage: 1,830 compute hours in February.\nBilling contact: invoices@harborcloud.example",
        {
            "vendor": "Harbor Cloud LLC",
            "invoice_date": "2025-03-01",
            "due_date": "2025-03-31",
            "amount": 2045.75,
            "email": "invoices@harborcloud.example",
        },
    ),
    (
        "meeting",
        "Weekly product sync",
        "Meeting notes\nDate: March 4, 2025\nAuthor: Priya Raman\nAttendees: Priya, Tom, Alice, Marco\n"
        "Decision: ship the new onboarding flow behind a flag.\nNext meeting: March 11, 2025",
        {"date": "2025-03-04", "author": "Priya Raman", "next_meeting_date": "2025-03-11"},
    ),
    (
        "meeting",
        "Budget review",
        "Notes from the budget review held on 2025-03-06, written by Tom Becker. We agreed to cut the "
        "travel budget by 10% and to revisit hiring in April. Next meeting: 2025-04-03.",
        {"date": "2025-03-06", "author": "Tom Becker", "next_meeting_date": "2025-04-03"},
    ),
    (
        "meeting",
        "Support team retro",
        "Retro notes, March 7, 2025. Author: Alice Moreau. What went well: response times halved. "
        "What to improve: handover between shifts. Next meeting: March 21, 2025.",
        {"date": "2025-03-07", "author": "Alice Moreau", "next_meeting_date": "2025-03-21"},
    ),
    (
        "meeting",
        "Vendor selection",
        "Date: 2025-03-10\nAuthor: Marco Silva\nWe compared three print vendors and chose Pine Street Print Group "
        "for price and speed.\nNext meeting: 2025-03-17",
        {"date": "2025-03-10", "author": "Marco Silva", "next_meeting_date": "2025-03-17"},
    ),
    (
        "incident",
        "Checkout outage",
        "Incident report\nDate: March 2, 2025\nService: checkout\nSeverity: SEV1\nDuration: 42 minutes\n"
        "A bad configuration push disabled card payments. Rolled back at 14:12.",
        {"date": "2025-03-02", "service": "checkout", "severity": "SEV1", "duration": "42 minutes"},
    ),
    (
        "incident",
        "Slow search",
        "On 2025-03-08 the search service answered slowly for about two hours. Severity: SEV3. "
        "Cause: a missing index after a migration. Service: search. Duration: 118 minutes.",
        {"date": "2025-03-08", "service": "search", "severity": "SEV3", "duration": "118 minutes"},
    ),
    (
        "incident",
        "Email delays",
        "Incident report\nDate: 2025-03-12\nService: notifications\nSeverity: SEV2\nDuration: 65 minutes\n"
        "Password reset emails were delayed because the mail provider throttled us.",
        {
            "date": "2025-03-12",
            "service": "notifications",
            "severity": "SEV2",
            "duration": "65 minutes",
        },
    ),
]
with open(Path(__file__).resolve().parents[2] / "orchestra/data/" / "documents.jsonl", "w") as f:
    for i, (kind, title, text, fields) in enumerate(D, 1):
        f.write(
            json.dumps(
                {"id": f"D{i:02d}", "kind": kind, "title": title, "text": text, "fields": fields}
            )
            + "\n"
        )
print(len(D))
