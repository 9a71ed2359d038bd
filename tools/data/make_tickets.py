"""Hand-written support tickets for chapter 03 (router). Run to write orchestra/data/tickets.jsonl."""

import json
from pathlib import Path

T = [
    # billing
    (
        "billing",
        "high",
        "I was charged twice for my March invoice and my card is now over its limit. Please refund the duplicate charge today.",
    ),
    (
        "billing",
        "normal",
        "Can you send me a copy of the invoice for order 4471? Our accountant needs it for the quarter.",
    ),
    (
        "billing",
        "normal",
        "My subscription renewed at the old price even though I switched to the cheaper plan last month.",
    ),
    (
        "billing",
        "low",
        "Just curious: do you offer a discount if we pay for the whole year up front?",
    ),
    (
        "billing",
        "high",
        "Your payment page took the money but the order says unpaid. I need this resolved immediately or I will dispute the charge with my bank.",
    ),
    (
        "billing",
        "normal",
        "The VAT number is missing from our last three invoices. Could you reissue them?",
    ),
    (
        "billing",
        "normal",
        "I cancelled my subscription on the 3rd but was still billed on the 5th. Please refund it.",
    ),
    (
        "billing",
        "low",
        "Minor thing: the invoice PDF shows my old company name. No rush, whenever you can.",
    ),
    (
        "billing",
        "high",
        "Urgent: we were charged 40 seats instead of 4. That is a 3,600 dollar payment we did not approve.",
    ),
    (
        "billing",
        "normal",
        "Which payment methods do you accept besides credit card? We would like to pay by bank transfer.",
    ),
    ("billing", "normal", "The refund you promised two weeks ago has not reached my card yet."),
    (
        "billing",
        "low",
        "Suggestion: it would be nice to get a monthly statement of all charges in one email.",
    ),
    (
        "billing",
        "normal",
        "Why did the price of my plan go up from 12 to 15 a month? I never got a notice.",
    ),
    (
        "billing",
        "high",
        "Our card was declined and now the whole team is locked out of the paid features. Please fix the payment asap.",
    ),
    (
        "billing",
        "normal",
        "I need the invoices to be addressed to our Berlin office instead of London.",
    ),
    # technical
    (
        "technical",
        "high",
        "The app crashes every time I open the reports tab. Our whole team is blocked.",
    ),
    (
        "technical",
        "normal",
        "Export to CSV gives an error 500 when the report has more than 1000 rows.",
    ),
    (
        "technical",
        "high",
        "Your service is down for us since 9am, every page returns an error. This is critical.",
    ),
    (
        "technical",
        "normal",
        "Sync between the mobile app and the web is slow, changes take ten minutes to show up.",
    ),
    (
        "technical",
        "low",
        "Minor bug: the dark mode toggle does not remember my choice after a restart.",
    ),
    ("technical", "normal", "The API returns a timeout error for large uploads over 50 MB."),
    (
        "technical",
        "normal",
        "After the last update the search is broken: it finds nothing for words with accents.",
    ),
    (
        "technical",
        "low",
        "Small idea: the chart colours are hard to tell apart, maybe add a colour-blind palette someday.",
    ),
    (
        "technical",
        "high",
        "Production outage: the webhook stopped firing and orders are not being processed. Please help immediately.",
    ),
    (
        "technical",
        "normal",
        "The desktop app fails to start on Windows 11 with a missing DLL error.",
    ),
    (
        "technical",
        "normal",
        "Notifications arrive twice on Android since version 4.2, looks like a bug.",
    ),
    (
        "technical",
        "low",
        "The tooltip on the settings page is cut off on small screens, not a big deal.",
    ),
    (
        "technical",
        "normal",
        "Images in the editor load very slowly, sometimes they never appear at all.",
    ),
    (
        "technical",
        "high",
        "The app keeps crashing during checkout for our customers right now, we are losing sales.",
    ),
    (
        "technical",
        "normal",
        "The calendar integration throws an error when I connect my Google calendar.",
    ),
    # account
    ("account", "normal", "I forgot my password and the reset email never arrives."),
    (
        "account",
        "normal",
        "How do I change the email address on my profile? I moved to a new company.",
    ),
    (
        "account",
        "high",
        "Someone changed my password and I can no longer sign in. I think my account was hacked, please lock it now.",
    ),
    ("account", "low", "Is it possible to change my username? Not urgent at all."),
    ("account", "normal", "Please delete my account and all my personal data."),
    ("account", "normal", "I lost my phone and can't pass the two-factor step to sign in."),
    ("account", "normal", "Can I add a second admin to our team profile?"),
    ("account", "low", "Curious whether I can merge my two profiles into one someday."),
    (
        "account",
        "high",
        "Our admin left the company and nobody can access the account settings. We are blocked from adding new staff.",
    ),
    ("account", "normal", "I want to update the name on my profile after getting married."),
    (
        "account",
        "normal",
        "The sign up page says my email is already registered, but I never created an account.",
    ),
    ("account", "normal", "How do I transfer ownership of the workspace account to my colleague?"),
    # shipping
    (
        "shipping",
        "normal",
        "My package was supposed to arrive on Monday and the tracking has not moved since Friday.",
    ),
    (
        "shipping",
        "high",
        "The parcel arrived damaged and the device inside is broken. I need a replacement before Friday's event.",
    ),
    (
        "shipping",
        "normal",
        "Can I change the delivery address for order 8812? It has not shipped yet.",
    ),
    ("shipping", "low", "Do you deliver to Iceland? Asking for a future order."),
    (
        "shipping",
        "normal",
        "The courier left the package with a neighbour I don't know. Where exactly was it delivered?",
    ),
    ("shipping", "normal", "Tracking says delivered but there is no package at my door."),
    (
        "shipping",
        "low",
        "Minor: the box was much bigger than needed, maybe use smaller packaging someday.",
    ),
    (
        "shipping",
        "high",
        "Urgent: the medical supplies we ordered have not arrived and the clinic runs out tomorrow.",
    ),
    ("shipping", "normal", "How long does standard delivery take to Canada?"),
    ("shipping", "normal", "I received the wrong item in my package, I ordered the blue one."),
    ("shipping", "normal", "The courier wants a customs fee on delivery. Was that not included?"),
    (
        "shipping",
        "normal",
        "My order shows shipped but the tracking number does not work on the courier site.",
    ),
    # other
    ("other", "normal", "Do you have an office in Lisbon? I would love to visit your team."),
    ("other", "normal", "Are you hiring designers this year?"),
    (
        "other",
        "normal",
        "We would like to write a case study about how our school uses your product.",
    ),
    ("other", "normal", "Thanks for the great conference talk last week, it was inspiring."),
    ("other", "normal", "Can your team join a panel at our meetup in June?"),
    ("other", "normal", "What is the story behind your company logo?"),
]
with open(Path(__file__).resolve().parents[2] / "orchestra/data/" / "tickets.jsonl", "w") as f:
    for i, (cat, urg, text) in enumerate(T, 1):
        f.write(
            json.dumps({"id": f"T{i:03d}", "text": text, "category": cat, "urgency": urg}) + "\n"
        )
print(len(T))
