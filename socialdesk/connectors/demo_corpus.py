"""The demo network's vocabulary: customers, and post templates per kind of conversation."""

from __future__ import annotations

BRAND = "Brightbasket"
BRAND_HANDLE = "brightbasket"

NETWORKS = ("x", "mastodon", "bluesky", "reddit", "reviews")
NETWORK_WEIGHTS = (40, 22, 22, 10, 6)

FIRST = (
    "Alex",
    "Sam",
    "Priya",
    "Jonas",
    "Mei",
    "Fatima",
    "Luca",
    "Olga",
    "Kwame",
    "Sofia",
    "Hiroshi",
    "Amara",
    "Diego",
    "Ingrid",
    "Noah",
    "Aisha",
    "Mateo",
    "Yuki",
    "Chloé",
    "Ravi",
    "Zanele",
    "Björn",
    "Leila",
    "Tomás",
    "Anya",
    "Oren",
    "Nia",
    "Pavel",
    "Grace",
    "Emre",
)
LAST = (
    "Okafor",
    "Lindqvist",
    "Tanaka",
    "García",
    "Nguyen",
    "Kowalski",
    "Haddad",
    "Rossi",
    "Müller",
    "Mensah",
    "Dubois",
    "Patel",
    "Ivanova",
    "Silva",
    "O'Brien",
    "Kim",
    "Novak",
    "Sato",
    "Adeyemi",
    "Jensen",
)
# A few names in other scripts and with emoji: the desk must lay them out correctly.
SPECIAL_NAMES = (
    "田中 美咲",
    "Олег Смирнов",
    "Ελένη Π.",
    "Sam 🌻",
    "김민준",
    "Zoë ✨ Baker",
    "José 🇲🇽",
    "Łukasz W.",
)

# {order}, {amount}, {days}, {city} are filled deterministically.
COMPLAINTS_DELIVERY = (
    "@{brand} my order #{order} was supposed to arrive {days} days ago. Still nothing. Where is it?",
    "Third time this month {brand} delivered someone else's groceries to me. Order #{order}. Not ok.",
    "@{brand} driver left my shopping in the rain, half of it ruined 😡 #{order}",
    "Waited in all day for a {brand} delivery that never came. No email, no call. Terrible.",
    "@{brand} tracking says delivered, nothing at my door in {city}. Order {order}",
    "the frozen stuff arrived completely thawed. @{brand} what's the point of a cold chain",
)
COMPLAINTS_BILLING = (
    "@{brand} I was charged twice for order #{order} (£{amount} each). Please refund the duplicate.",
    "Cancelled my {brand} subscription last month and you still took £{amount}?? Scam.",
    "@{brand} why does my invoice show a £{amount} 'service fee' nobody told me about",
    "Refund for #{order} promised {days} days ago, still not in my account. @{brand}",
    "@{brand} promo code rejected at checkout but the app says it's valid. Overcharged £{amount}.",
)
COMPLAINTS_OUTAGE = (
    "@{brand} app is down again? Can't log in, just spins.",
    "Is {brand} down for anyone else? Checkout fails with 'error 503' #outage",
    "@{brand} your app crashed mid-payment and now I don't know if I was charged",
    "{brand} website down in {city} too. Lost my whole basket 🙃",
    "@{brand} can't place orders, app says 'service unavailable'. Any ETA?",
    "still getting errors on the {brand} app. 40 minutes now. #brightbasketdown",
)
QUESTIONS = (
    "@{brand} do you deliver to {city} on Sundays?",
    "How do I change the delivery address on an order that's already placed? @{brand}",
    "@{brand} is there a way to pause my subscription for {days} weeks?",
    "Does {brand} have gluten free bread in stock in {city}? The app isn't clear",
    "@{brand} what's your policy on returning damaged items?",
    "Can I add items to order #{order} after checkout? @{brand}",
)
PRAISE = (
    "Shoutout to the @{brand} driver who carried everything up 5 floors today 🙏",
    "Honestly {brand} has been brilliant this week, every delivery on time. Thank you!",
    "@{brand} support sorted my refund in 10 minutes. Impressed 👏",
    "Love the new {brand} app update, checkout is so much faster ❤️",
    "{brand} substitutions were actually better than what I ordered lol. Great service",
)
CHATTER = (
    "Making soup tonight, any recipe ideas? #{brand}",
    "Anyone else think {brand}'s bananas are always perfectly ripe? weird flex",
    "Reading about grocery delivery economics, {brand} vs the supermarkets, interesting thread",
    "rainy sunday in {city}, perfect for cooking",
)
SPAM = (
    "🔥🔥 FREE {brand} VOUCHERS 🔥🔥 click bit.ly/xx{order} to claim £500 now!!!",
    "Earn $$$ from home, DM me for crypto signals. #{brand} #grocery #deals",
    "follow for follow? #{brand} #f4f",
)
FOREIGN = (
    "@{brand} mi pedido #{order} llegó incompleto, faltan tres productos. ¿Qué hago?",
    "@{brand} meine Bestellung ist seit {days} Tagen überfällig. Sehr enttäuschend.",
    "@{brand} 注文 #{order} がまだ届きません。いつ届きますか？",
    "@{brand} ваш сервис просто супер, спасибо за быструю доставку!",
    "@{brand} الطلب #{order} لم يصل بعد، متى سيصل؟",
)
# Replies a customer sends after we answered.
FOLLOW_UPS = (
    "Thanks, just sent you the details by DM.",
    "Still nothing, this is getting ridiculous.",
    "That worked, cheers!",
    "Ok, order number is #{order}",
    "Why do I have to explain this again? I already told your colleague.",
)
OUR_REPLIES = (
    "Hi {name}, sorry about this! Could you DM us your order number so we can look into it? ^{agent}",
    "So sorry {name}, that's not the experience we want for you. We're on it. ^{agent}",
    "Thanks {name}! We'll pass this on to the team 💚 ^{agent}",
    "Hi {name}, we're aware of an issue with the app and our engineers are working on a fix. ^{agent}",
)
AGENTS = ("JD", "MK", "RS")
CITIES = ("Leeds", "Bristol", "Manchester", "Glasgow", "Cardiff", "London", "Belfast", "Norwich")

# (templates, weight, category) — the outage category is boosted during the wave.
CATEGORIES: tuple[tuple[tuple[str, ...], int, str], ...] = (
    (COMPLAINTS_DELIVERY, 20, "delivery"),
    (COMPLAINTS_BILLING, 12, "billing"),
    (COMPLAINTS_OUTAGE, 4, "outage"),
    (QUESTIONS, 18, "question"),
    (PRAISE, 12, "praise"),
    (CHATTER, 14, "chatter"),
    (SPAM, 8, "spam"),
    (FOREIGN, 6, "foreign"),
)
