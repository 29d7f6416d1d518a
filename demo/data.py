"""The Montana demo network: agencies, their programs and the people who use them.

Each program: (agency, program, county, services, insurance, extra counties served in person,
counties served by telemedicine ("*" for statewide), 42 CFR Part 2). Made up, but shaped like
the real network: county health departments, clinics, food banks, housing, behavioural health.
"""

from __future__ import annotations

P = tuple  # (agency, program, home county, services, insurance, in_person, telemedicine, part2)

PROGRAMS: list[P] = [
    ("Lewis and Clark Public Health", "Lewis and Clark Public Health", "Lewis and Clark",
     ["immunizations", "prenatal_care", "home_visiting", "family_planning"],
     ["medicaid", "medicare", "bcbs_montana", "uninsured_sliding_scale"], ["Broadwater", "Jefferson"], [], False),
    ("Lewis and Clark Public Health", "Healthy Beginnings Home Visiting", "Lewis and Clark",
     ["home_visiting", "parenting"], ["not_applicable"], ["Broadwater", "Jefferson"], [], False),
    ("Helena Food Share", "Helena Food Share", "Lewis and Clark",
     ["food_nutrition"], ["not_applicable"], ["Jefferson", "Broadwater"], [], False),
    ("PureView Health Center", "Primary Care", "Lewis and Clark",
     ["primary_care", "dental", "chronic_disease_management"],
     ["medicaid", "medicare", "bcbs_montana", "pacificsource", "uninsured_sliding_scale"], [], [], False),
    ("PureView Health Center", "Behavioral Health", "Lewis and Clark",
     ["mental_health"], ["medicaid", "medicare", "bcbs_montana", "uninsured_sliding_scale"], [], ["*"], False),
    ("Rocky Mountain Development Council", "Housing Services", "Lewis and Clark",
     ["housing", "utilities_assistance", "senior_services"], ["not_applicable"],
     ["Broadwater", "Jefferson"], [], False),
    ("Cascade City-County Health Department", "WIC", "Cascade",
     ["food_nutrition", "prenatal_care"], ["not_applicable"], ["Chouteau", "Teton"], [], False),
    ("Alluvion Health", "Community Health Center", "Cascade",
     ["primary_care", "dental", "mental_health", "substance_use"],
     ["medicaid", "medicare", "aetna", "uninsured_sliding_scale"], ["Chouteau"], [], False),
    ("Gateway Recovery Center", "Outpatient Recovery", "Cascade",
     ["substance_use", "peer_support"], ["medicaid", "bcbs_montana", "uninsured_sliding_scale"],
     [], ["*"], True),
    ("Billings Clinic", "Cancer Screening", "Yellowstone",
     ["cancer_screening", "medical_specialists"], ["medicaid", "medicare", "bcbs_montana", "aetna", "cigna"],
     ["Carbon", "Stillwater", "Big Horn"], [], False),
    ("Montana Food Bank Network", "Montana Food Bank Network", "Missoula",
     ["food_nutrition"], ["not_applicable"], [], ["*"], False),
    ("RiverStone Health", "Family Planning", "Yellowstone",
     ["family_planning", "prenatal_care", "immunizations"],
     ["medicaid", "uninsured_sliding_scale", "bcbs_montana"], ["Carbon", "Stillwater"], [], False),
    ("RiverStone Health", "Tobacco Cessation", "Yellowstone",
     ["tobacco_cessation"], ["not_applicable"], [], ["*"], False),
    ("Missoula City-County Health Department", "Missoula City-County Health Department", "Missoula",
     ["immunizations", "home_visiting", "family_planning"],
     ["medicaid", "uninsured_sliding_scale"], ["Mineral", "Ravalli"], [], False),
    ("Partnership Health Center", "Partnership Health Center", "Missoula",
     ["primary_care", "dental", "mental_health"], ["medicaid", "medicare", "pacificsource", "uninsured_sliding_scale"],
     ["Ravalli"], [], False),
    ("Flathead County Health Department", "Flathead County Health Department", "Flathead",
     ["immunizations", "prenatal_care", "home_visiting"], ["medicaid", "not_applicable"], ["Lake", "Lincoln"], [], False),
    ("Gallatin Valley Food Bank", "Gallatin Valley Food Bank", "Gallatin",
     ["food_nutrition"], ["not_applicable"], ["Park"], [], False),
    ("Bridgercare", "Bridgercare", "Gallatin",
     ["family_planning", "cancer_screening"], ["medicaid", "bcbs_montana", "uninsured_sliding_scale"],
     ["Park", "Madison"], [], False),
    ("Butte-Silver Bow Health Department", "Butte-Silver Bow Health Department", "Silver Bow",
     ["immunizations", "prenatal_care", "tobacco_cessation"], ["medicaid", "not_applicable"],
     ["Deer Lodge", "Beaverhead"], [], False),
    ("Eastern Montana Community Mental Health Center", "Eastern Montana Community Mental Health Center", "Custer",
     ["mental_health", "substance_use"], ["medicaid", "medicare", "uninsured_sliding_scale"],
     ["Dawson", "Rosebud", "Fallon", "Prairie"], ["*"], False),
    ("Montana Job Service", "Montana Job Service", "Lewis and Clark",
     ["employment", "education"], ["not_applicable"], ["Cascade", "Yellowstone", "Missoula", "Gallatin"], ["*"], False),
    ("Montana Legal Services Association", "Montana Legal Services Association", "Lewis and Clark",
     ["legal_aid", "domestic_violence"], ["not_applicable"], [], ["*"], False),
    ("Hi-Line Help for Abused Spouses", "Hi-Line Help for Abused Spouses", "Hill",
     ["domestic_violence", "housing"], ["not_applicable"], ["Blaine", "Liberty"], [], False),
    ("Glendive Medical Center", "Diabetes Prevention", "Dawson",
     ["chronic_disease_management", "food_nutrition"], ["medicaid", "medicare", "bcbs_montana"],
     ["Wibaux", "Prairie"], ["*"], False),
    ("Blackfeet Tribal Health", "Blackfeet Tribal Health", "Glacier",
     ["primary_care", "mental_health", "transportation"], ["ihs", "medicaid"], ["Pondera"], [], False),
]

# The town (and its ZIP code) where the programs of each home county have their office.
TOWNS = {
    "Lewis and Clark": ("Helena", "59601"), "Cascade": ("Great Falls", "59401"),
    "Yellowstone": ("Billings", "59101"), "Missoula": ("Missoula", "59802"),
    "Flathead": ("Kalispell", "59901"), "Gallatin": ("Bozeman", "59715"),
    "Silver Bow": ("Butte", "59701"), "Custer": ("Miles City", "59301"), "Hill": ("Havre", "59501"),
    "Dawson": ("Glendive", "59330"), "Glacier": ("Browning", "59417"),
}

# Programs not "accepting" new clients (domain.program_status.Capacity).
CAPACITY = {
    "PureView Health Center — Behavioral Health": "waitlist",
    "Gateway Recovery Center — Outpatient Recovery": "assessment_required",
    "Rocky Mountain Development Council — Housing Services": "not_accepting",
}

# Programs whose agency MOU the demo shows as due soon and as lapsed.
MOU_DUE_SOON = "Glendive Medical Center — Diabetes Prevention"
MOU_LAPSED = "Hi-Line Help for Abused Spouses"

DEMO_PASSWORD = "Big-Sky-Referral-2026!"

# email, full name, role label, memberships [(program display, gatekeeper, provider)], admin regions, state team
PEOPLE = [
    ("state.team@connect.demo", "Sam Stateteam", "state team", [], [], True),
    ("admin.region4@connect.demo", "Riley Regional", "designated administrator (regions 4, 5)", [], [4, 5], False),
    ("admin.region2@connect.demo", "Avery Admin", "designated administrator (regions 1, 2, 3)", [], [1, 2, 3], False),
    ("gatekeeper@connect.demo", "Gina Gatekeeper", "gatekeeper, Lewis and Clark Public Health",
     [("Lewis and Clark Public Health", True, False)], [], False),
    ("provider@connect.demo", "Pat Provider", "provider, Lewis and Clark Public Health",
     [("Lewis and Clark Public Health", False, True)], [], False),
    ("foodshare@connect.demo", "Frances Foodshare", "gatekeeper and provider, Helena Food Share",
     [("Helena Food Share", True, True)], [], False),
    ("pureview.gk@connect.demo", "Quinn PureView", "gatekeeper, both PureView programs",
     [("PureView Health Center — Primary Care", True, False),
      ("PureView Health Center — Behavioral Health", True, False)], [], False),
    ("pureview.provider@connect.demo", "Morgan Therapist", "provider, PureView Behavioral Health",
     [("PureView Health Center — Behavioral Health", False, True)], [], False),
    ("multi@connect.demo", "Jordan Multiprogram", "provider in three programs of two agencies",
     [("Lewis and Clark Public Health", False, True),
      ("Lewis and Clark Public Health — Healthy Beginnings Home Visiting", True, True),
      ("Rocky Mountain Development Council — Housing Services", False, True)], [], False),
    ("gateway@connect.demo", "Casey Recovery", "gatekeeper and provider, Gateway Recovery (Part 2)",
     [("Gateway Recovery Center — Outpatient Recovery", True, True)], [], False),
    ("glendive@connect.demo", "Dana Diabetes", "gatekeeper, Glendive Diabetes Prevention (MOU due soon)",
     [(MOU_DUE_SOON, True, True)], [], False),
    ("hiline@connect.demo", "Harper Hiline", "gatekeeper, Hi-Line Help (agency MOU lapsed)",
     [(MOU_LAPSED, True, True)], [], False),
    ("newuser@connect.demo", "Nico Newuser", "provider, first login (must change password, sign MOU)",
     [("Helena Food Share", False, True)], [], False),
]
FIRST_LOGIN_USER = "newuser@connect.demo"

# Clients ("Subjects"): program display name that created them, then the profile form's values.
# One near-duplicate on purpose (Bill and William Johnson, born the same day at the same
# address, added by two programs) so the administrators' merge page has something to show.
CLIENTS = [
    ("Lewis and Clark Public Health", "William", "Johnson", "1985-03-12", "male", ["white"],
     "veteran", "123 N Main St Apt 4", "Helena", "Lewis and Clark", "59601", "(406) 555-0134", ""),
    ("Helena Food Share", "Bill", "Johnson", "1985-03-12", "male", ["white"], "veteran",
     "123 North Main Street, Apt. 4", "Helena", "Lewis and Clark", "59601", "", "Calls back from the Food Share desk"),
    ("Lewis and Clark Public Health", "María", "Hernández", "1992-07-08", "female",
     ["some_other_race"], "never_served", "45 Hauser Blvd", "Helena", "Lewis and Clark", "59601",
     "(406) 555-0178", ""),
    ("Helena Food Share", "Dakota", "Running Crane", "1978-11-30", "two_spirit",
     ["american_indian_alaska_native"], "never_served", "", "Helena", "Lewis and Clark", "59601",
     "(999) 999-9999", "Message through God's Love shelter front desk"),
    ("PureView Health Center — Primary Care", "Catherine", "O'Brien", "1960-01-15", "female",
     ["white"], "never_served", "9 Benton Ave", "Helena", "Lewis and Clark", "59601",
     "(406) 555-0112", ""),
    ("Cascade City-County Health Department — WIC", "Ashley", "Old Coyote", "2001-05-06", "female",
     ["american_indian_alaska_native"], "never_served", "1600 2nd Ave N", "Great Falls", "Cascade",
     "59401", "(406) 555-0190", ""),
    ("Alluvion Health — Community Health Center", "Erik", "Lindqvist", "1955-09-09", "male",
     ["white"], "reserve_national_guard", "212 Central Ave", "Great Falls", "Cascade", "59401",
     "(406) 555-0145", ""),
]
