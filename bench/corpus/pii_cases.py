"""Personal-data cases of the held-out corpus, generated with Faker.

Each case in second.jsonl with "source": "faker" names a generator below and its
parameters; the value is drawn from Faker seeded with the case id, so the corpus is the
same on every build with the same Faker version (pinned in bench/second-corpus.sh).
Positives are checked here (Luhn and the scheme's prefix range for cards, mod-97 for IBANs, SSA area/group/serial rules
for SSNs, mod-11 for NHS numbers) and a value that fails its check stops the build: a
label is only as good as that check.
"""

import hashlib

CHECKED = {}


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(iban):
    s = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def ssn_ok(ssn):
    area, group, serial = ssn.split("-")
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def nhs_check_digit(nine):
    total = sum(int(d) * (10 - i) for i, d in enumerate(nine))
    check = 11 - total % 11
    return 0 if check == 11 else (None if check == 10 else check)


def faker_for(case):
    from faker import Faker

    fake = Faker(case.get("locale", "en_US"))
    fake.seed_instance(int(hashlib.sha256(case["id"].encode()).hexdigest()[:16], 16))
    return fake


# --- values -----------------------------------------------------------------------


def issuer_ok(number, card_type):
    """Whether a card number's prefix is one its scheme issues. Faker draws JCB numbers
    from the prefix 35 alone, but JCB's range is 3528-3589 (and 2131, 1800 for its
    15-digit cards): a number outside it is issued by nobody."""
    if card_type.startswith("jcb"):
        return 3528 <= int(number[:4]) <= 3589 or number[:4] in ("2131", "1800")
    return True


def gen_card(fake, p):
    for _ in range(1000):
        number = fake.credit_card_number(card_type=p["card_type"])
        if issuer_ok(number, p["card_type"]):
            break
    assert luhn_ok(number) and issuer_ok(number, p["card_type"]), number
    if p.get("grouped"):
        step = [4, 6, 5] if len(number) == 15 else [4] * 5
        parts, i = [], 0
        for n in step:
            if i < len(number):
                parts.append(number[i : i + n])
                i += n
        number = p.get("sep", " ").join(parts)
    return number


def gen_iban(fake, p):
    iban = fake.iban()
    assert iban_ok(iban), iban
    if p.get("grouped"):
        iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


def gen_ssn(fake, p):
    ssn = fake.ssn()
    assert ssn_ok(ssn), ssn
    return ssn


def gen_nhs(fake, p):
    while True:
        nine = str(fake.random_element("467")) + fake.numerify("########")
        check = nhs_check_digit(nine)
        if check is not None:
            break
    number = nine + str(check)
    if p.get("grouped"):
        number = f"{number[:3]} {number[3:6]} {number[6:]}"
    return number


def gen_phone(fake, p):
    return fake.phone_number()


def gen_email(fake, p):
    return fake.free_email() if p.get("free", True) else fake.company_email()


# Negatives: values a careless detector takes for personal data.


def gen_uuid(fake, p):
    return fake.uuid4()


def gen_order_id(fake, p):
    return fake.bothify(p.get("shape", "ORD-####-######"))


def gen_version(fake, p):
    return f"{fake.random_int(0, 20)}.{fake.random_int(0, 40)}.{fake.random_int(0, 200)}"


def gen_timestamp(fake, p):
    if p.get("epoch_ms"):
        return str(int(fake.unix_time()) * 1000 + fake.random_int(0, 999))
    return fake.iso8601()


def gen_bad_luhn(fake, p):
    while True:
        number = fake.credit_card_number(card_type=p.get("card_type", "visa16"))
        last = (int(number[-1]) + fake.random_int(1, 9)) % 10
        number = number[:-1] + str(last)
        if not luhn_ok(number):
            return number


def gen_bad_iban(fake, p):
    iban = fake.iban()
    check = int(iban[2:4])
    bad = f"{(check + fake.random_int(1, 90)) % 97 + 2:02d}"
    iban = iban[:2] + bad + iban[4:]
    if iban_ok(iban):
        iban = iban[:2] + f"{(int(bad) + 1) % 97 + 2:02d}" + iban[4:]
    assert not iban_ok(iban)
    return iban


def gen_bad_ssn(fake, p):
    area = fake.random_element(["000", "666", str(fake.random_int(900, 999))])
    return f"{area}-{fake.numerify('##')}-{fake.numerify('####')}"


def gen_bad_nhs(fake, p):
    while True:
        nine = str(fake.random_element("467")) + fake.numerify("########")
        check = nhs_check_digit(nine)
        wrong = str((0 if check is None else check + fake.random_int(1, 9)) % 10)
        if check is None or int(wrong) != check:
            return f"{nine[:3]} {nine[3:6]} {nine[6:]}{wrong}"


def gen_ean13(fake, p):
    return fake.ean13()


def gen_isbn(fake, p):
    return fake.isbn13()


def gen_safe_email(fake, p):
    return fake.safe_email()


def gen_ipv4(fake, p):
    return fake.ipv4_private()


def gen_date(fake, p):
    return fake.date(pattern=p.get("pattern", "%Y-%m-%d"))


def gen_price(fake, p):
    return f"{fake.random_int(1, 99999)}.{fake.random_int(0, 99):02d}"


# --- how a value sits in a fixture file -------------------------------------------

FIELD = {
    "card": "card_number", "iban": "iban", "ssn": "ssn", "nhs": "nhs_number",
    "phone": "phone", "email": "email", "uuid": "uuid", "order_id": "order_ref",
    "version": "version", "timestamp": "created_at", "bad_luhn": "account_ref",
    "bad_iban": "reference", "bad_ssn": "serial", "bad_nhs": "batch", "ean13": "barcode",
    "isbn": "isbn", "safe_email": "email", "ipv4": "host", "date": "date", "price": "amount",
}


def render(template, field, value, fake, positive):
    # Negatives name a company, not a person: they hold no personal data at all.
    name = fake.name() if positive else fake.company()
    row_id = fake.random_int(1, 99999)
    if template == "csv":
        return ("id,name,%s\n%d,\"%s\",%s\n" % (field, row_id, name, value), "csv")
    if template == "json":
        return ('[\n  {"id": %d, "name": "%s", "%s": "%s"}\n]\n' % (row_id, name, field, value), "json")
    if template == "yaml":
        return ("- id: %d\n  name: %s\n  %s: \"%s\"\n" % (row_id, name, field, value), "yml")
    if template == "sql":
        return ("INSERT INTO customers (id, name, %s) VALUES (%d, '%s', '%s');\n"
                % (field, row_id, name.replace("'", "''"), value), "sql")
    raise ValueError(template)


GENERATORS = {name[4:]: fn for name, fn in globals().items() if name.startswith("gen_")}


def make(case):
    """Returns (file name, bytes) for one Faker case of second.jsonl."""
    fake = faker_for(case)
    gen = case["generator"]
    value = GENERATORS[gen](fake, case.get("params", {}))
    text, ext = render(case.get("template", "csv"), FIELD[gen], value, fake,
                       case["label"] == "positive")
    return f"{case['id'].split('/', 1)[1]}.{ext}", text.encode()
