"""Templates the demo desk composes its messages from: data, not code.

A message is put together from a greeting, an opener that carries the customer's mood, the
problem of one topic, sometimes a risk line (churn, legal, public, safety...), a closer and a
sign-off. Slots
in braces (``{order}``, ``{product}``, ``{days}``...) are filled per conversation, so one customer's
story stays consistent while three hundred stories rarely read alike. Some complaints deliberately
avoid negative words ("Where is my bag?"): customers often sound calm while they are not.
"""

# size: data tables (the demo's message templates), not code; nothing in it to split by meaning.

from __future__ import annotations

from dataclasses import dataclass

BILLING = "Billing"
TECHNICAL = "Technical"


@dataclass(frozen=True)
class Topic:
    """One kind of problem: how customers raise it and how a caring agent handles it."""

    key: str
    team: str | None
    subjects: tuple[str, ...]
    bodies: tuple[str, ...]
    followups: tuple[str, ...]
    probes: tuple[str, ...]
    fixes: tuple[str, ...]
    notes: tuple[str, ...]
    handoffs: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        "double_charge",
        BILLING,
        ("Charged twice for {plan}", "Double payment on my card", "Two charges of {amount}"),
        (
            "My card was charged {amount} twice on {date} for the {plan} plan.",
            "I see two identical payments of {amount} from you on my statement for {date}.",
            "We were billed twice this month for {plan} — {amount} each, same day.",
        ),
        (
            "The second {amount} is still on my card.",
            "My bank says the duplicate payment is definitely from you.",
            "Has the extra {amount} been sent back yet?",
        ),
        (
            "Could you tell me the last four digits of the card, so I can match both payments?",
            "I'm checking both payments with our payment provider right now.",
        ),
        (
            "I've refunded the duplicate {amount}; it shows on your card in 3–5 working days.",
            "The second charge is cancelled and {amount} is on its way back to you.",
            "I found the cause — a retry after a timeout — and refunded the extra {amount}.",
        ),
        (
            "Duplicate charge confirmed in the payment log, both on {date}.",
            "Payment retry bug again; linking to the known issue.",
        ),
        (
            "Customer was charged {amount} twice on {date}. Duplicate confirmed in the log; only "
            "Billing can refund. Customer is upset, please reply today.",
            "Double charge for {plan}. I've apologised and promised an answer today; needs the "
            "refund issued and a confirmation email.",
        ),
    ),
    Topic(
        "refund_missing",
        BILLING,
        ("Refund not received", "Where is my refund?", "Refund for order {order}"),
        (
            "You confirmed a refund of {amount} for order {order} {days} days ago.",
            "I returned the {product} on {date} and the {amount} refund has not arrived.",
            "Your colleague promised the refund for {order} within a week. It's been {days} days.",
        ),
        (
            "Still no {amount} on my account.",
            "Checked again this morning: the refund for {order} has not arrived.",
            "Is there a reference number for the refund I can give my bank?",
        ),
        (
            "I'm tracing the refund for {order} with our payment provider now.",
            "Could you check whether the refund shows as pending on your statement?",
        ),
        (
            "The refund was stuck in a failed batch; I've re-sent {amount} with a reference.",
            "Your {amount} was refunded today; here is the reference for your bank.",
            "I've pushed the refund through manually, so {amount} is on its way.",
        ),
        (
            "Refund for {order} sat in a failed batch since {date}.",
            "Warehouse received the {product} on {date}; refund never triggered.",
        ),
        (
            "Refund of {amount} for {order} never left us (failed batch). Customer has waited "
            "{days} days and was promised a week. Please re-send and confirm with a reference.",
        ),
    ),
    Topic(
        "invoice_wrong",
        BILLING,
        (
            "Invoice has the wrong company name",
            "Need a corrected invoice",
            "VAT missing on invoice",
        ),
        (
            "The invoice {invoice} shows our old company name and no VAT number.",
            "Our finance team can't book invoice {invoice} because the VAT line is missing.",
            "Can you reissue invoice {invoice}? The address is from before we moved to {city}.",
        ),
        (
            "Finance is asking me about invoice {invoice} again.",
            "Do you have the corrected invoice yet?",
            "We need the corrected {invoice} before month end.",
        ),
        (
            "Could you send me the VAT number exactly as it should appear?",
            "I'm asking our finance team to reissue {invoice} with the right details.",
        ),
        (
            "Here is invoice {invoice} reissued with your new name, address and VAT number.",
            "I've corrected the billing details, so every future invoice will be right too.",
            "The corrected invoice is attached and the old one is voided.",
        ),
        (
            "Billing profile still had the pre-move address in {city}.",
            "VAT number was never saved because of the form bug.",
        ),
        (
            "Needs a reissued invoice {invoice} with VAT; the details are in the thread. "
            "Customer has asked twice, month-end deadline.",
        ),
    ),
    Topic(
        "cancel_charged",
        BILLING,
        (
            "Charged after cancelling",
            "I cancelled but you still took {amount}",
            "Subscription cancelled in {date}?",
        ),
        (
            "I cancelled {plan} on {date} and you still charged me {amount}.",
            "We closed our account last month, yet {amount} was taken again today.",
            "I have the cancellation email from {date}, but the renewal of {amount} went through.",
        ),
        (
            "Another {amount} was taken this month.",
            "Please confirm the subscription is really cancelled this time.",
            "I still haven't had the {amount} back.",
        ),
        (
            "I can see your cancellation from {date}; I'm checking why the renewal still ran.",
            "Could you forward the cancellation email so I can match it to your account?",
        ),
        (
            "The renewal shouldn't have happened; I've refunded {amount} and confirmed the "
            "cancellation.",
            "Your subscription is closed for good and the {amount} renewal is refunded.",
            "I refunded {amount} and added a note so no renewal can run again.",
        ),
        ("Cancellation on {date} recorded, renewal still ran: scheduler bug.",),
        (
            "Cancelled on {date}, charged {amount} anyway. Needs refund and a check that no "
            "further renewal is scheduled.",
        ),
    ),
    Topic(
        "payment_failed",
        BILLING,
        (
            "Card declined but it works everywhere",
            "Account suspended for payment",
            "Payment failed for {plan}",
        ),
        (
            "Our {plan} account was suspended because a payment failed, but the card is fine.",
            "The checkout keeps saying my card is declined. My bank sees no attempt at all.",
            "We got a notice that {plan} will be switched off on {weekday} for non-payment.",
        ),
        (
            "We still can't pay and the account is still suspended.",
            "I tried a second card, same error.",
            "Is the suspension lifted? The team can't work.",
        ),
        (
            "I've lifted the suspension for now so your team can keep working.",
            "Could you try the payment again? I'm watching the attempt on our side.",
        ),
        (
            "The declines came from a fraud rule on our side; it's fixed and your payment went "
            "through.",
            "Your account is active again and the payment of {amount} is settled.",
            "The card works again — our provider had blocked it by mistake.",
        ),
        ("Provider's fraud rule blocks cards from {city}; reported.",),
        (
            "Account suspended over a failed payment; the card is fine, our provider blocked it. "
            "Suspension lifted temporarily — please settle the payment with them.",
        ),
    ),
    Topic(
        "login",
        TECHNICAL,
        ("Can't log in", "Two-factor code never arrives", "Locked out of my account"),
        (
            "I can't log in since {date}: it says my password is wrong, but it's the right one.",
            "The two-factor code never arrives, so I'm locked out of {product}.",
            "After changing phones I can't get past the login screen on {device}.",
        ),
        (
            "Still locked out.",
            "I tried again with a new password — same message.",
            "Is there another way to confirm it's me?",
        ),
        (
            "Could you tell me roughly when you last logged in successfully?",
            "I've checked your account: it's not locked, so I'm looking at the code delivery.",
        ),
        (
            "I've reset your two-factor setup; you can log in and register the new phone.",
            "Your account was locked after too many tries. I've unlocked it.",
            "The codes were going to an old number; I've updated it with your confirmation.",
        ),
        (
            "Login attempts from the new {device} failing on a clock skew.",
            "SMS provider drops codes to this carrier.",
        ),
        (
            "Locked out since {date}; 2FA codes go to an old number. Identity confirmed via the "
            "invoice. Needs the 2FA reset.",
        ),
    ),
    Topic(
        "sync",
        TECHNICAL,
        ("Data not syncing", "Changes lost between phone and laptop", "Sync stuck since {date}"),
        (
            "Entries I make on {device} don't show up on the web app any more.",
            "Sync has been stuck since {date}; my team sees old data.",
            "Half of yesterday's changes vanished after the app synced.",
        ),
        (
            "Still not syncing, and we've lost another day of entries.",
            "The sync icon has been spinning for {hours} hours.",
            "Are the lost changes recoverable?",
        ),
        (
            "Could you send me the app version from Settings → About?",
            "I'm looking at your sync log now; please don't reinstall yet so nothing is lost.",
        ),
        (
            "A stuck item blocked the queue; I cleared it and all {count} entries synced.",
            "I restored the lost changes from last night's backup.",
            "Version 4.2.1 fixes this; after updating, everything synced on our test copy.",
        ),
        (
            "Sync queue blocked by one oversized attachment.",
            "Backups from {date} contain the lost entries.",
        ),
        (
            "Sync stuck since {date}; {count} entries waiting. Customer's team depends on it. "
            "Logs attached; please check the queue on the server side.",
        ),
    ),
    Topic(
        "crash",
        TECHNICAL,
        ("App crashes on start", "{product} closes when I open reports", "Crash after update"),
        (
            "Since the last update, {product} closes as soon as I open it on {device}.",
            "The app crashes every time I open the reports tab.",
            "After updating, {product} shows a white screen and closes.",
        ),
        (
            "Still crashing after the reinstall.",
            "It crashed again in front of a client.",
            "Any update on a fix?",
        ),
        (
            "Could you tell me which {device} model and system version you use?",
            "I've reproduced the crash on a test phone and sent it to our developers.",
        ),
        (
            "The fix is in version 4.2.2, out today; please update and it opens normally.",
            "Clearing the cached report fixed it on your account; no reinstall needed.",
            "Developers found the bug in the reports screen and shipped a fix.",
        ),
        ("Reproduced on {device}; stack trace points to the reports cache.",),
        (
            "Crash on open on {device} since the update. Reproduced; needs someone who can "
            "check the crash reports. Customer uses it with clients daily.",
        ),
    ),
    Topic(
        "export",
        TECHNICAL,
        ("CSV export is empty", "Export has wrong dates", "Report export fails"),
        (
            "The CSV export only gives me the header row, no data.",
            "Dates in the export are a day off compared to the screen.",
            "Exporting the {date} report fails with error {error}.",
        ),
        (
            "Our accountant needs the export by {weekday}.",
            "Tried a smaller date range — still {error}.",
            "Any progress on the export?",
        ),
        (
            "Could you tell me the date range and filters you used?",
            "I've reproduced the {error} and passed it to the developers.",
        ),
        (
            "The dates were shifted by time zone; that's fixed and the export matches the screen.",
            "I ran the export for you and attached the file while the fix ships.",
            "The export works again after this morning's fix.",
        ),
        ("Export uses UTC while the screen uses local time.",),
        (
            "Export fails with {error}; accountant's deadline is {weekday}. Please attach a manual "
            "export until it's fixed.",
        ),
    ),
    Topic(
        "api_errors",
        TECHNICAL,
        ("API returns {error}", "Integration stopped working", "Webhooks not arriving"),
        (
            "Since {date} our integration gets {error} on every second request.",
            "Your webhooks stopped arriving around {date}; our orders are not updating.",
            "Our nightly import through the API fails with {error}.",
        ),
        (
            "Still seeing {error} this morning.",
            "Our customers are now asking us why orders don't update.",
            "Can we get a status on the API problem?",
        ),
        (
            "Could you send a request id from one of the failing calls?",
            "I see the errors in our logs too; the developers are on it.",
        ),
        (
            "A rate limit was set too low for your account; it's corrected and the errors stopped.",
            "Webhooks are flowing again and we re-sent the ones you missed since {date}.",
            "The fix is deployed; your nightly import ran cleanly.",
        ),
        ("Rate limiter misconfigured for this org since {date}.",),
        (
            "Integration getting {error} since {date}; their own customers are affected. "
            "Request ids in the thread.",
        ),
    ),
    Topic(
        "where_order",
        None,
        ("Where is my bag?", "Order {order} hasn't arrived", "Delivery of {product}"),
        (
            "Where is my bag? Order {order}, the {product}. It said {weekday}.",
            "Order {order} was due on {date}. The tracking hasn't moved for {days} days.",
            "The {courier} tracking for {order} says delivered, but nothing is here.",
        ),
        (
            "Where is it now?",
            "The tracking still hasn't changed.",
            "I leave for my trip on {weekday} and need the {product}.",
        ),
        (
            "I've asked {courier} to trace the parcel and will tell you the moment they answer.",
            "Could you check with neighbours or a parcel box, in case {courier} left it there?",
        ),
        (
            "{courier} lost the parcel, so a new {product} goes by express; it arrives {weekday}.",
            "The parcel is at the {courier} depot in {city}; it will be delivered tomorrow.",
            "I've sent a replacement and refunded the shipping.",
        ),
        (
            "{courier} confirms the parcel is lost.",
            "Tracking frozen at the {city} depot since {date}.",
        ),
        (
            "Order {order} missing; {courier} trace opened. Customer travels {weekday}; please "
            "send a replacement by express if the trace isn't back by tomorrow.",
        ),
    ),
    Topic(
        "damaged",
        None,
        ("{product} arrived damaged", "Broken on arrival", "The zip tore on first use"),
        (
            "The {product} from order {order} arrived with a torn seam.",
            "The wheel of my {product} broke off on the first trip.",
            "The box was crushed and the {product} inside is cracked.",
        ),
        (
            "Do I need to send it back first?",
            "I sent the photos you asked for.",
            "What happens now?",
        ),
        (
            "Could you send a photo of the damage, so we can ask the courier to pay for it?",
            "No need to send it back — I'm arranging the replacement.",
        ),
        (
            "A new {product} is on its way; keep the damaged one.",
            "I've refunded {amount} in full and reported the damage to {courier}.",
            "The replacement ships today with a free repair kit.",
        ),
        ("Third damaged {product} from the same batch this week.",),
        ("Damaged {product} from {order}; photos received. Please send a replacement.",),
    ),
    Topic(
        "wrong_item",
        None,
        ("Wrong item in my order", "Received the wrong size", "Not what I ordered"),
        (
            "I ordered the {product} in black and got a green one.",
            "Order {order} had someone else's items in it.",
            "I received a small {product}; I ordered the large.",
        ),
        (
            "Should I keep the wrong one until the courier comes?",
            "Any news about the exchange?",
            "Has the right one been sent?",
        ),
        (
            "I'm sorry about the mix-up; could you confirm the size you ordered?",
            "I'll book a free pick-up of the wrong item.",
        ),
        (
            "The right {product} is on its way and the courier collects the other on {weekday}.",
            "I've sent the correct size and you can keep the wrong one.",
            "The exchange is booked; nothing more for you to do.",
        ),
        ("Picking error at the warehouse on {date}.",),
        ("Wrong {product} in {order}. Needs the exchange booked with free pick-up.",),
    ),
    Topic(
        "address_change",
        None,
        ("Change delivery address", "Moved house — update my address", "Address for order {order}"),
        (
            "I moved to {city}; can you change the address on order {order} before it ships?",
            "Please update my delivery address; I moved on {date}.",
            "I typed the wrong house number for order {order}.",
        ),
        (
            "Was the address changed in time?",
            "Just checking the new address went through.",
            "The order shows as shipped — to which address?",
        ),
        (
            "I've caught the order before it left; could you confirm the full new address?",
            "I'm checking with the warehouse whether {order} has already left.",
        ),
        (
            "Order {order} is updated and will go to your new address in {city}.",
            "Your address is changed on the account and on order {order}.",
            "I redirected the parcel with {courier}; no extra cost.",
        ),
        ("Order {order} already packed; warehouse agreed to relabel.",),
        ("Address change for {order}; warehouse needs to relabel before pick-up.",),
    ),
    Topic(
        "how_to",
        None,
        ("Question about {feature}", "How do I {feature}?", "Help setting up {feature}"),
        (
            "How do I {feature}? I couldn't find it in the menus.",
            "Is it possible to {feature} on the {plan} plan?",
            "I'm new to {product} and don't understand how to {feature}.",
        ),
        (
            "I followed the steps but it looks different on my screen.",
            "One more question about this.",
            "Found it, but the option is greyed out.",
        ),
        (
            "Happy to walk you through it. Which device are you on?",
            "Could you send a screenshot of what you see?",
        ),
        (
            "Here are the steps with screenshots; the option is under Settings → Team.",
            "It's available on {plan}; I've switched it on for your account.",
            "I've recorded a two-minute video of the steps for you.",
        ),
        ("Help article for this is out of date; flagged to knowledge.",),
        ("Customer wants to {feature}; it needs an account setting only Technical can change.",),
    ),
)

MOODS: tuple[str, ...] = (
    "anger",
    "frustration",
    "worry",
    "sadness",
    "confusion",
    "gratitude",
    "neutral",
)

GREETINGS: tuple[str, ...] = ("Hi,", "Hello,", "Hi there,", "Dear support team,", "Hello team,", "")

OPENERS: dict[str, tuple[str, ...]] = {
    "anger": (
        "This is unacceptable.",
        "I am furious.",
        "Frankly, this is outrageous.",
        "I'm absolutely livid about this.",
        "What a disgrace.",
        "I am really angry now.",
        "This is ridiculous and I've had enough.",
    ),
    "frustration": (
        "I'm getting pretty frustrated.",
        "This is really annoying.",
        "Honestly, I'm fed up.",
        "Once again something doesn't work.",
        "I'm losing patience with this.",
        "This keeps happening and it's wearing me down.",
        "It's so irritating.",
    ),
    "worry": (
        "I'm really worried about this.",
        "I'm quite anxious about this.",
        "I'm nervous this won't be sorted in time.",
        "I'm scared we'll lose our data.",
        "I'm concerned, to be honest.",
        "This has me worried.",
        "I'm stressed about this.",
    ),
    "sadness": (
        "I'm really disappointed.",
        "I'm sad to have to write this.",
        "Sadly, this has let me down.",
        "I was so looking forward to this and I'm upset.",
        "It's a real letdown.",
        "I'm heartbroken, honestly — it was a present.",
    ),
    "confusion": (
        "I'm confused.",
        "I don't understand what happened.",
        "I'm not sure what's going on.",
        "Maybe I'm missing something, but I'm puzzled.",
        "Can someone explain this?",
        "I'm a bit lost here.",
    ),
    "gratitude": (
        "First of all, thank you for the great service so far.",
        "You've always been so helpful, so thanks in advance.",
        "Thanks for the quick help last time!",
        "I really appreciate your team.",
        "Thank you for reading this.",
    ),
    "neutral": (
        "",
        "Quick question.",
        "Writing about an order.",
        "A small issue to report.",
        "Following up on my account.",
        "",
    ),
}

CLOSERS: dict[str, tuple[str, ...]] = {
    "anger": (
        "Fix it now.",
        "I expect this sorted today.",
        "I want an answer, not a template.",
        "Sort it out.",
    ),
    "frustration": (
        "Please just fix it.",
        "Can someone actually look at this?",
        "I really need this to work.",
        "Please sort this out.",
    ),
    "worry": (
        "Please let me know what happens next.",
        "Can you reassure me this will be fixed?",
        "I'd be grateful for a quick answer — I'm anxious about it.",
        "What should I do in the meantime?",
    ),
    "sadness": (
        "I hope you can make this right.",
        "I expected better.",
        "I'd like to keep trusting you.",
        "Please help.",
    ),
    "confusion": (
        "What should I do?",
        "Could you explain?",
        "Which of these is right?",
        "I'd appreciate some clarity.",
    ),
    "gratitude": (
        "Thanks so much!",
        "Many thanks in advance.",
        "Thank you, you're great.",
        "Much appreciated.",
    ),
    "neutral": ("Please advise.", "Let me know.", "Thanks.", "Could you check?"),
}

SIGNOFFS: dict[str, tuple[str, ...]] = {
    "anger": ("{first}", "{first} {last}", "— {first}"),
    "frustration": ("{first}", "Regards,\n{first}"),
    "worry": ("Thanks,\n{first}", "{first}"),
    "sadness": ("{first}", "Regards,\n{first} {last}"),
    "confusion": ("Thanks,\n{first}", "{first}"),
    "gratitude": ("Best wishes,\n{first}", "Thanks again,\n{first}"),
    "neutral": ("Regards,\n{first} {last}", "{first}", "Best,\n{first}"),
}

# Lines that carry a risk signal; the emotion engine should find them, agents must not miss them.
SIGNAL_LINES: dict[str, tuple[str, ...]] = {
    "churn_intent": (
        "If this isn't fixed I'm cancelling my subscription.",
        "We're seriously considering moving to another provider.",
        "Honestly, I'm about to switch to a competitor.",
        "Give me one reason not to close our account.",
        "This is the last straw — we will be taking our business elsewhere.",
    ),
    "repeated_contact": (
        "This is the third time I'm writing about this.",
        "I've already explained all this to two of your colleagues.",
        "I've called you {count} times now and nobody has got back to me.",
        "Again, as I said in my last three emails:",
    ),
    "long_wait": (
        "I've been waiting {days} days for an answer.",
        "It's been over a week and nobody has replied.",
        "I've been on hold for {hours} hours in total.",
        "Still waiting, {days} days later.",
    ),
    "public_escalation": (
        "If I don't hear back today I'll post about this on Twitter.",
        "I'm going to leave a review telling everyone about this.",
        "I'll be sharing this experience on social media.",
        "A journalist friend of mine would love this story.",
    ),
    "legal_threat": (
        "I will be contacting my lawyer.",
        "I'm filing a complaint with consumer protection.",
        "If this isn't refunded I'll take you to small claims court.",
        "My solicitor will be in touch.",
    ),
    "safety": (
        "The battery pack got so hot it burned my hand.",
        "The strap snapped and my child fell — this is dangerous.",
        "There was smoke coming from the charger.",
        "The buckle broke while climbing; someone could get seriously hurt.",
    ),
    "urgency": (
        "I need this urgently — my flight is tomorrow morning.",
        "This is urgent: our payroll runs tonight.",
        "Please treat this as urgent, it's blocking our whole team.",
        "I need an answer as soon as possible today.",
    ),
}

REOPENS: tuple[str, ...] = (
    "It's happening again, exactly the same problem.",
    "Sorry to come back to this, but it isn't fixed after all.",
    "The problem is back since {date}.",
    "I thought this was sorted, but it's broken again.",
    "Same issue as before — it came back after a few days.",
)

DUPLICATES: tuple[str, ...] = (
    "I wrote about this on the portal already but want to make sure you got it.",
    "Sending this again by email in case my first message was lost.",
    "Resending — not sure the form worked.",
)

REPLY_GREETINGS: tuple[str, ...] = ("Hi {first},", "Hello {first},", "Dear {first},")

ACKS: dict[str, tuple[str, ...]] = {
    "anger": (
        "I'm truly sorry. You're right to be angry, and you shouldn't have had to chase us.",
        "I understand why you're upset, and I'm sorry we let you down.",
        "You have every reason to be annoyed — I'm sorry, this is on us.",
    ),
    "frustration": (
        "I'm sorry this has been such a hassle.",
        "I can see how frustrating this is, especially after everything you've tried.",
        "I understand — having to deal with this again is really tiresome, and I'm sorry.",
    ),
    "worry": (
        "I understand this is worrying, so let me explain what I'm doing about it.",
        "I can hear how stressful this is. You're in good hands now.",
        "Please don't worry — nothing is lost, and I'll stay with this until it's fixed.",
    ),
    "sadness": (
        "I'm so sorry this let you down — that's not the experience we want for you.",
        "I'm sorry, I know how much you were looking forward to it.",
        "That's really disappointing, and I'm sorry.",
    ),
    "confusion": (
        "Good question — it is confusing, and I'm happy to explain.",
        "I understand the confusion; our messages weren't clear.",
        "Thanks for asking rather than guessing; let me clear it up.",
    ),
    "gratitude": (
        "Thank you for your kind words — it means a lot to the team.",
        "Thanks so much for being patient with us.",
        "That's lovely to hear, thank you.",
    ),
    "neutral": (
        "Thanks for getting in touch.",
        "Thank you for letting us know.",
        "Thanks for the details.",
    ),
}

TRANSFER_APOLOGIES: tuple[str, ...] = (
    "I'm sorry you've been passed between us. {prev_agent} filled me in on everything, so you "
    "don't need to explain it again.",
    "Apologies for the handover — I've read the whole conversation with {prev_agent}, and I'm "
    "taking it from here.",
    "I'm {agent} from {team}; {prev_agent} asked me to pick this up. I'm sorry for the extra "
    "step — I have all the details.",
)

WAIT_APOLOGIES: tuple[str, ...] = (
    "I'm sorry it took us so long to answer.",
    "Apologies for the wait — that's longer than it should have been.",
    "I'm sorry you had to wait for this.",
)

NEXT_STEPS: tuple[str, ...] = (
    "I'll keep this with me and write again by {weekday} with an update.",
    "I'm looking after this personally and will update you by tomorrow midday.",
    "You don't need to do anything else for now; I'll be in touch as soon as I know more.",
    "I'll check again this afternoon and let you know either way.",
)

RESOLVED_CLOSINGS: tuple[str, ...] = (
    "If anything still isn't right, just reply here and it comes straight back to me.",
    "Could you let me know this works for you? I'm happy to help further.",
    "Thanks again for your patience while we sorted this out.",
    "Thank you for bearing with us — and for telling us, it helps us fix it for others too.",
)

REPLY_SIGNOFFS: tuple[str, ...] = (
    "{agent}",
    "Warm regards,\n{agent}",
    "Best,\n{agent}",
    "Kind regards,\n{agent} — {team}",
)

FOLLOWUP_REPLIES: tuple[str, ...] = (
    "Thanks for checking in. Here's where we are:",
    "Thank you for the extra detail, that helps.",
    "Quick update: I'm still on it.",
    "Thanks for your patience.",
)

ESCALATION_NOTES: tuple[str, ...] = (
    "Risk flagged ({signal}). Looping in the lead; please answer within the hour.",
    "Customer mentions {signal}. Escalating — any agent can take it, don't wait for approval.",
    "{signal} in the last message. I've taken it and told the lead.",
)

RATING_COMMENTS: dict[int, tuple[str, ...]] = {
    1: (
        "Took far too long and I had to explain everything three times.",
        "Nobody seemed to care until I threatened to leave.",
        "Problem still not really solved.",
    ),
    2: (
        "Got there in the end, but it was hard work.",
        "Friendly, but slow.",
        "Too many back-and-forths.",
    ),
    3: ("Fine, it's fixed.", "OK. Would have liked an update sooner.", "Solved, eventually."),
    4: (
        "Quick and friendly, thank you.",
        "Good help, sorted in one go.",
        "Thanks for keeping me updated.",
    ),
    5: (
        "{agent} was fantastic — kind, quick and clear.",
        "Best support I've had anywhere. Thank you!",
        "Fixed before I even finished my coffee. Brilliant.",
        "Really felt listened to. Thank you, {agent}.",
    ),
}

LEAD_SEVERITY_REASONS: tuple[str, ...] = (
    "Whole team blocked; raising.",
    "Customer has a deadline tomorrow.",
    "Workaround in place; no longer blocking.",
    "Question only, nothing broken.",
)

# Slot values. Fictional, and varied enough that stories rarely read alike.
FIRST_NAMES: tuple[str, ...] = (
    "Amara",
    "Ben",
    "Chloé",
    "Daniel",
    "Elif",
    "Farah",
    "Giulia",
    "Hannah",
    "Ibrahim",
    "Jonas",
    "Keiko",
    "Liam",
    "Maya",
    "Noah",
    "Olivia",
    "Priya",
    "Quentin",
    "Rosa",
    "Samuel",
    "Tomás",
    "Uma",
    "Viktor",
    "Wen",
    "Yara",
    "Zoe",
    "Aisha",
    "Bruno",
    "Carmen",
    "Dmitri",
    "Emma",
    "Finn",
    "Grace",
    "Hugo",
    "Ingrid",
    "Jamal",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Oskar",
    "Paula",
    "Rahul",
    "Sofia",
    "Theo",
    "Valentina",
    "William",
    "Ximena",
    "Yusuf",
    "Zainab",
    "Leo",
)
LAST_NAMES: tuple[str, ...] = (
    "Okafor",
    "Schmidt",
    "Dubois",
    "Rossi",
    "Yılmaz",
    "Haddad",
    "Bianchi",
    "Novak",
    "Mensah",
    "Larsen",
    "Tanaka",
    "Murphy",
    "Patel",
    "García",
    "Kowalski",
    "Nguyen",
    "Andersson",
    "Costa",
    "O'Brien",
    "Fischer",
    "Kim",
    "Moreau",
    "Silva",
    "Hughes",
    "Ivanova",
    "Jansen",
    "Kaur",
    "Lindqvist",
    "Mwangi",
    "Nakamura",
    "Ortiz",
    "Papadopoulos",
    "Quinn",
    "Reyes",
    "Sato",
    "Thompson",
    "Van Dijk",
    "Wright",
    "Zhang",
    "Ahmed",
    "Berg",
    "Chen",
    "Delgado",
    "Evans",
)
ORG_NAMES: tuple[str, ...] = (
    "Lumen Studio",
    "Harbour Logistics",
    "Kestrel Outdoor",
    "Brightside Dental",
    "Northfield Farms",
    "Aster Analytics",
    "Bluebird Travel",
    "Copperleaf Café",
    "Driftwood Design",
    "Evergreen Care",
    "Foxglove Books",
    "Granite Legal",
    "Hillcrest School",
    "Ironbark Builders",
    "Juniper Health",
    "Kite & Co",
    "Lighthouse Events",
    "Meadow Bakery",
    "Nimbus Software",
    "Orchard Vets",
    "Pinecone Games",
    "Quarry Architects",
    "Riverbend Hotel",
    "Saltmarsh Surf",
    "Tidewater Media",
    "Upland Cycles",
    "Valley Pharmacy",
    "Willow Yoga",
    "Yellowfin Sushi",
    "Zephyr Airways Crew",
)
PLANS: tuple[tuple[str, int, int], ...] = (  # name, revenue low, revenue high (per year)
    ("Free", 0, 0),
    ("Starter", 20_000, 300_000),
    ("Team", 200_000, 3_000_000),
    ("Business", 2_000_000, 40_000_000),
    ("Enterprise", 30_000_000, 900_000_000),
)
PRODUCTS: tuple[str, ...] = (
    "Trailpack 40 backpack",
    "Aero carry-on",
    "Nomad duffel",
    "Summit daypack",
    "Voyager suitcase",
    "PowerCell battery pack",
    "Compass travel charger",
    "Drift rain jacket",
    "Cirrus sleeping bag",
    "Pathfinder app",
    "Ridge trekking poles",
    "Harbor tote",
)
SUB_PLANS: tuple[str, ...] = ("Starter", "Team", "Business", "Pathfinder Plus", "Family")
FEATURES: tuple[str, ...] = (
    "add a colleague to our team",
    "export trips to my calendar",
    "share a packing list",
    "turn off email notifications",
    "set up single sign-on",
    "change the invoice email",
    "merge two accounts",
    "use it offline",
)
DEVICES: tuple[str, ...] = (
    "iPhone 13",
    "Pixel 7",
    "Galaxy S22",
    "iPad",
    "MacBook",
    "Windows laptop",
    "Android tablet",
)
COURIERS: tuple[str, ...] = ("ParcelGo", "SwiftPost", "RoadRunner Freight", "BlueLine Courier")
CITIES: tuple[str, ...] = (
    "Leeds",
    "Lyon",
    "Porto",
    "Gdańsk",
    "Utrecht",
    "Bilbao",
    "Cork",
    "Bergen",
    "Turin",
    "Ghent",
)
ERRORS: tuple[str, ...] = (
    "HTTP 502",
    "HTTP 429",
    "error E-1042",
    "a timeout",
    "“Something went wrong”",
    "HTTP 500",
)
WEEKDAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTHS: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

AGENT_NAMES: tuple[tuple[str, str], ...] = (
    ("Sam", "Rivera"),
    ("Aoife", "Brennan"),
    ("Marcus", "Osei"),
    ("Lucía", "Fernández"),
    ("Henrik", "Dahl"),
    ("Mei", "Lin"),
)
LEAD_NAME = ("Nora", "Achterberg")
DEMO_CUSTOMER_NAME = ("Robin", "Castellano")
