"""Words the generator draws from: names, skills, training, tasks, needs and what families say.

Names are common in Yorkshire across the generations and the communities a care workforce comes from;
phone numbers come from Ofcom's ranges reserved for drama and emails from ``example.com``, so nothing
the demo sends can reach a real person.
"""

from __future__ import annotations

from datetime import time

#: Given names of people born 1925-1960 (most individuals receiving care).
OLDER_FEMALE = (
    "Margaret", "Dorothy", "Joan", "Jean", "Barbara", "Patricia", "Betty", "Doris", "Eileen", "Irene",
    "Joyce", "Mary", "Sheila", "Kathleen", "Audrey", "Edna", "Elsie", "Enid", "Marjorie", "Brenda",
    "Pauline", "Valerie", "Maureen", "Sylvia", "Winifred", "Hilda", "Vera", "Evelyn", "June", "Shirley",
)  # fmt: skip
OLDER_MALE = (
    "John", "William", "George", "Kenneth", "Peter", "Brian", "Ronald", "Derek", "Dennis", "Roy",
    "Albert", "Frank", "Harold", "Arthur", "Norman", "Stanley", "Geoffrey", "Alan", "Eric", "Raymond",
    "Walter", "Leslie", "Keith", "Colin", "Malcolm", "Trevor", "Bernard", "Cyril", "Gordon", "Clifford",
)  # fmt: skip
#: Given names of working-age people (workers, key people, younger individuals), by community.
YOUNGER = {
    "british": (
        ("Sarah", "Emma", "Laura", "Rebecca", "Hannah", "Charlotte", "Gemma", "Amy", "Lisa", "Claire",
         "Nicola", "Joanne", "Kelly", "Chloe", "Jade", "Lucy", "Rachel", "Helen", "Michelle", "Donna",
         "Katie", "Sophie", "Victoria", "Leanne", "Stacey"),
        ("James", "Daniel", "Tom", "Ryan", "Adam", "Mark", "Paul", "Craig", "Lee", "Jack", "Liam",
         "Andrew", "Matthew", "Chris", "David", "Simon", "Gary", "Jamie", "Ben", "Luke"),
    ),
    "polish": (("Agnieszka", "Katarzyna", "Magdalena", "Joanna", "Monika", "Ewa"),
               ("Piotr", "Tomasz", "Krzysztof", "Pawel", "Marek")),
    "romanian": (("Oana", "Ioana", "Andreea", "Elena", "Mihaela", "Cristina"),
                 ("Andrei", "Ionut", "Mihai", "Florin", "Adrian")),
    "keralan": (("Anjali", "Jinu", "Sini", "Divya", "Reshma", "Bincy", "Mercy"),
                ("Jibin", "Sajan", "Anish", "Vineeth", "Jomon")),
    "west_african": (("Grace", "Blessing", "Abena", "Ngozi", "Adwoa", "Funmi"),
                     ("Kwame", "Emeka", "Tunde", "Kofi", "Chidi")),
    "south_asian": (("Aisha", "Fatima", "Priya", "Nasreen", "Samina", "Harpreet"),
                    ("Mohammed", "Imran", "Asif", "Rajinder", "Tariq")),
}  # fmt: skip
FAMILY_NAMES = {
    "british": (
        "Smith", "Jones", "Taylor", "Brown", "Wilson", "Robinson", "Wright", "Thompson", "Walker",
        "White", "Hughes", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke",
        "Turner", "Hill", "Scott", "Cooper", "Ward", "Morris", "Moore", "King", "Watson", "Baker",
        "Harrison", "Atkinson", "Dixon", "Metcalfe", "Sutcliffe", "Hudson", "Lister", "Holmes",
        "Barker", "Bell", "Dobson", "Foster", "Kitching", "Pickersgill", "Wilkinson", "Chapman",
        "Robson", "Hebden", "Outhwaite", "Thackray", "Ackroyd", "Boddy", "Calvert", "Dinsdale",
        "Fawcett", "Horsfall", "Iveson", "Kettlewell", "Lambert", "Marwood", "Nettleton",
    ),
    "polish": ("Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kaminski", "Lewandowski"),
    "romanian": ("Popescu", "Ionescu", "Popa", "Stan", "Dumitru", "Munteanu"),
    "keralan": ("Varghese", "Joseph", "Thomas", "Mathew", "George", "Kurian", "Chacko"),
    "west_african": ("Mensah", "Okafor", "Adeyemi", "Boateng", "Owusu", "Nwosu"),
    "south_asian": ("Patel", "Khan", "Hussain", "Ali", "Shah", "Singh", "Akhtar"),
}  # fmt: skip
#: Share of the workforce by community, and the language each adds to English.
WORKFORCE_COMMUNITIES = (
    ("british", 0.74, None),
    ("polish", 0.05, "pl"),
    ("romanian", 0.05, "ro"),
    ("keralan", 0.08, "ml"),
    ("west_african", 0.04, "yo"),
    ("south_asian", 0.04, "ur"),
)
#: Languages of individuals other than English, with their share (interpreters for some).
INDIVIDUAL_LANGUAGES = (
    ("en", 0.93),
    ("pl", 0.015),
    ("ur", 0.02),
    ("pa", 0.015),
    ("cy", 0.005),
    ("bn", 0.015),
)

#: Skills a visiting worker may hold, with the share of care workers holding each.
SKILL_SHARES = (
    ("medication", 0.75),
    ("hoist", 0.60),
    ("dementia", 0.55),
    ("catheter_care", 0.35),
    ("diabetes", 0.30),
    ("end_of_life", 0.20),
    ("stoma_care", 0.15),
    ("peg_feeding", 0.12),
    ("epilepsy", 0.10),
)
#: Every visiting worker has these.
BASE_SKILLS = ("personal_care", "moving_and_handling")
#: Skills only nurses hold by default as well as the rest.
NURSING_SKILLS = ("medication", "peg_feeding", "catheter_care", "stoma_care", "diabetes", "end_of_life")

#: Mandatory training and how many years each lasts (Care Certificate refreshers).
MANDATORY_TRAINING = (
    ("safeguarding", 3),
    ("moving_and_handling", 1),
    ("infection_control", 1),
    ("first_aid", 3),
    ("fire_safety", 1),
    ("basic_life_support", 1),
)

#: Visit kinds: label, preferred-time window, default duration in minutes, tasks.
VISIT_KINDS: dict[str, tuple[str, time, time, int, tuple[str, ...]]] = {
    "morning": ("Morning call", time(7, 30), time(10, 30), 45, (
        "Assist to get up and wash", "Help with dressing", "Prepare breakfast and a hot drink",
        "Empty commode", "Apply cream to pressure areas")),
    "lunch": ("Lunch call", time(11, 45), time(13, 30), 30, (
        "Prepare lunch", "Encourage fluids", "Check wellbeing")),
    "tea": ("Tea call", time(16, 30), time(18, 0), 30, (
        "Prepare tea", "Leave a snack and a drink for later", "Close curtains")),
    "bed": ("Bedtime call", time(19, 30), time(21, 15), 30, (
        "Assist to undress and wash", "Help into bed", "Check the pendant alarm is on", "Lock up")),
    "sitting": ("Sitting and shopping", time(10, 0), time(15, 0), 60, (
        "Companionship", "Help with shopping", "Light housework")),
}  # fmt: skip

#: Care packages by share: which visit kinds each has (a double-up kind ends with ``*``).
PACKAGES = (
    ("light", 0.25, ("morning",)),
    ("moderate", 0.35, ("morning", "tea")),
    ("substantial", 0.25, ("morning", "lunch", "tea", "bed")),
    ("complex", 0.15, ("morning*", "lunch", "tea", "bed*")),
)

COMMUNICATION_NEEDS = (
    ("hearing aid in the left ear; face them when speaking", 0.12),
    ("partially sighted; say who you are when you arrive", 0.08),
    ("short sentences and one question at a time (dementia)", 0.15),
    ("uses a communication board", 0.02),
)
PREFERENCE_NOTES = (
    "Likes a cup of tea before personal care.",
    "Prefers to be called by their first name.",
    "Radio on during visits, please.",
    "Please take shoes off indoors.",
    "Likes to chat about the garden.",
    "Prefers a shower to a strip wash.",
    None,
    None,
    None,
)
ACCESS_NOTES = (
    "Key safe to the left of the front door; ring the bell before letting yourself in.",
    "Side door at the back; the front door sticks.",
    "Daughter lets you in on weekdays; key safe at weekends.",
    "Flat 3 on the second floor; entry code from the office.",
    "Dog is shut in the kitchen before visits.",
    "Farm track: park by the gate and walk up, it floods after rain.",
)
RELATIONSHIPS_OLDER = ("daughter", "son", "daughter", "son", "niece", "nephew", "granddaughter", "grandson",
                       "neighbour", "friend", "wife", "husband")  # fmt: skip
RELATIONSHIPS_YOUNGER = ("mother", "father", "sister", "brother", "friend")
INFORMED_OF = ("visit_changes", "missed_visits", "incidents", "plan_changes", "hospital_admissions")
QUIET_HOURS = ((time(22, 0), time(7, 0)), (time(21, 0), time(8, 0)), (time(23, 0), time(7, 30)))
