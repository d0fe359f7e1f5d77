"""The organization agreement (järjestösopimus / organisationsavtal) between the county and an NGO as a document
both parties read and sign: rendered as HTML in Finnish or Swedish from one version's terms, and the SHA-256 of
exactly that text, which each signature names.

The rendering is deterministic (no clock, no random ids): the same terms give the same document and the same
hash. No I/O here."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jinja2

from services.registry.events import OrganizationAgreementDrafted
from shared.documents import Document, euros

TEXTS: dict[str, dict[str, str]] = {
    "fi": {
        "title": "Järjestösopimus", "version": "Versio", "parties": "Osapuolet", "county": "Hyvinvointialue",
        "county_name": "Hyvinvointialue, jota edustaa kokemusasiantuntijatoiminnan koordinaattori",
        "organization": "Järjestö", "agreement": "Sopimuksen tunnus",
        "purpose": "Sopimuksen tarkoitus",
        "purpose_text": "Sopimuksella sovitaan yhteistyöstä kokemusasiantuntijatoiminnassa: järjestön kouluttamat "
                        "kokemusasiantuntijat voivat toimia hyvinvointialueen palveluissa, jotta kokemustieto "
                        "tavoittaa palveluja suunnittelevat ja toteuttavat ihmiset. Kokemusasiantuntija ei koskaan "
                        "maksa työstään.",
        "ngo_duties": "Järjestön tehtävät",
        "ngo_1": "kouluttaa kokemusasiantuntijat peruskoulutuksella (valtakunnallisen verkoston koulutusmallin "
                 "mukaisesti) ja ilmoittaa koulutuksen suorittaneet kokemuspankkiin yhdyshenkilönsä kautta;",
        "ngo_2": "pitää rekisteriä kouluttamistaan kokemusasiantuntijoista ja pitää tiedot ajan tasalla;",
        "ngo_3": "tukee kokemusasiantuntijoitaan ennen tehtäviä ja niiden jälkeen (työnohjaus, vertaistuki, "
                 "jälkipuinti);",
        "ngo_4": "nimeää yhdyshenkilön, joka vastaa yhteistyöstä hyvinvointialueen kanssa.",
        "county_duties": "Hyvinvointialueen tehtävät",
        "county_1": "koordinoi kokemusasiantuntijatoimintaa ja välittää tilaukset kokemusasiantuntijoille;",
        "county_2": "tekee jokaisesta tehtävästä toimeksiantosopimuksen kokemusasiantuntijan kanssa ja maksaa "
                    "palkkion ja kulukorvaukset sen mukaisesti;",
        "county_3": "kerää palautteen jokaisesta tehtävästä ja kertoo järjestölle toiminnan seurannan tulokset.",
        "payment": "Korvaus ja maksaminen",
        "fee_text": "Hyvinvointialue maksaa järjestölle kokemusasiantuntijoiden kouluttamisesta ja tukemisesta "
                    "{fee} vuodessa laskua vastaan. Lasku maksetaan {days} päivän kuluessa sen saapumisesta.",
        "no_fee_text": "Hyvinvointialue ei maksa järjestölle erillistä korvausta.",
        "payment_text": "Kokemusasiantuntijoiden palkkiot ja kulut maksetaan toimeksiantosopimusten mukaan.",
        "privacy": "Tietosuoja",
        "privacy_text": "Järjestö on kouluttamiensa kokemusasiantuntijoiden rekisterin rekisterinpitäjä ja "
                        "hyvinvointialue kokemuspankin ja tehtävien tietojen rekisterinpitäjä. Kumpikin käsittelee "
                        "henkilötietoja vain tämän sopimuksen toteuttamiseksi (EU:n tietosuoja-asetus) eikä "
                        "luovuta niitä muille. Kokemusasiantuntijan terveyttä tai elämäntilannetta koskevia tietoja "
                        "käsitellään vain hänen suostumuksellaan.",
        "validity": "Voimassaolo",
        "period": "Sopimus on voimassa {start} alkaen {end} asti.",
        "open_period": "Sopimus on voimassa {start} alkaen toistaiseksi.",
        "in_force": "Sopimus tulee voimaan, kun molemmat osapuolet ovat allekirjoittaneet sen, kuitenkin "
                    "aikaisintaan {start}.",
        "renewal": "Tämä versio {version} jatkaa sopimusta uudelle kaudelle; aiemmat versiot säilyvät luettavina.",
        "termination": "Sopimuksen päättyminen",
        "termination_text": "Kumpikin osapuoli voi irtisanoa sopimuksen päättymään {notice} päivän kuluttua "
                            "irtisanomisesta. Sopimuksen voi purkaa heti, jos osapuoli rikkoo sitä olennaisesti. "
                            "Jo sovitut tehtävät tehdään ja maksetaan niiden toimeksiantosopimusten mukaan.",
        "signing": "Allekirjoittamalla osapuoli hyväksyy tämän asiakirjan version ehdot.",
    },
    "sv": {
        "title": "Organisationsavtal", "version": "Version", "parties": "Parter", "county": "Välfärdsområdet",
        "county_name": "Välfärdsområdet, företrätt av koordinatorn för erfarenhetsexpertverksamheten",
        "organization": "Organisationen", "agreement": "Avtalets beteckning",
        "purpose": "Avtalets syfte",
        "purpose_text": "Avtalet gäller samarbetet inom erfarenhetsexpertverksamheten: erfarenhetsexperter som "
                        "organisationen utbildat kan arbeta inom välfärdsområdets tjänster, så att "
                        "erfarenhetskunskapen når dem som planerar och producerar tjänsterna. Erfarenhetsexperten "
                        "betalar aldrig för att arbeta.",
        "ngo_duties": "Organisationens uppgifter",
        "ngo_1": "utbildar erfarenhetsexperterna med grundutbildningen (enligt det nationella nätverkets "
                 "utbildningsmodell) och anmäler dem som genomgått den till erfarenhetsbanken genom sin "
                 "kontaktperson;",
        "ngo_2": "för ett register över de erfarenhetsexperter den utbildat och håller uppgifterna aktuella;",
        "ngo_3": "stöder sina erfarenhetsexperter före och efter uppdragen (handledning, kamratstöd, genomgång);",
        "ngo_4": "utser en kontaktperson som ansvarar för samarbetet med välfärdsområdet.",
        "county_duties": "Välfärdsområdets uppgifter",
        "county_1": "koordinerar erfarenhetsexpertverksamheten och förmedlar beställningarna till "
                    "erfarenhetsexperterna;",
        "county_2": "ingår ett uppdragsavtal med erfarenhetsexperten för varje uppdrag och betalar arvode och "
                    "kostnadsersättningar enligt det;",
        "county_3": "samlar in respons efter varje uppdrag och berättar för organisationen om resultaten av "
                    "uppföljningen.",
        "payment": "Ersättning och betalning",
        "fee_text": "Välfärdsområdet betalar organisationen {fee} per år mot faktura för att utbilda och stödja "
                    "erfarenhetsexperterna. Fakturan betalas inom {days} dagar från att den kommit in.",
        "no_fee_text": "Välfärdsområdet betalar ingen separat ersättning till organisationen.",
        "payment_text": "Erfarenhetsexperternas arvoden och kostnader betalas enligt uppdragsavtalen.",
        "privacy": "Dataskydd",
        "privacy_text": "Organisationen är personuppgiftsansvarig för registret över de erfarenhetsexperter den "
                        "utbildat och välfärdsområdet för erfarenhetsbanken och uppdragens uppgifter. Vardera "
                        "behandlar personuppgifter endast för att fullgöra detta avtal (EU:s "
                        "dataskyddsförordning) och lämnar inte ut dem till andra. Uppgifter om en "
                        "erfarenhetsexperts hälsa eller livssituation behandlas endast med hens samtycke.",
        "validity": "Giltighet",
        "period": "Avtalet gäller från {start} till {end}.",
        "open_period": "Avtalet gäller från {start} tills vidare.",
        "in_force": "Avtalet träder i kraft när båda parterna har undertecknat det, dock tidigast {start}.",
        "renewal": "Denna version {version} förlänger avtalet för en ny period; tidigare versioner förblir läsbara.",
        "termination": "Avtalets upphörande",
        "termination_text": "Vardera parten kan säga upp avtalet att upphöra {notice} dagar efter uppsägningen. "
                            "Avtalet kan hävas omedelbart om en part väsentligt bryter mot det. Redan avtalade "
                            "uppdrag utförs och betalas enligt sina uppdragsavtal.",
        "signing": "Genom att underteckna godkänner parten villkoren i denna version av dokumentet.",
    },
}

TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string("""\
<article class="agreement-document" lang="{{ lang }}">
<h1>{{ t.title }}</h1>
<p>{{ t.version }} {{ version }}</p>
<h2>{{ t.parties }}</h2>
<dl>
<dt>{{ t.county }}</dt><dd>{{ t.county_name }}</dd>
<dt>{{ t.organization }}</dt><dd>{{ organization_name }} ({{ organization_id }})</dd>
<dt>{{ t.agreement }}</dt><dd>{{ agreement_id }}</dd>
</dl>
<h2>{{ t.purpose }}</h2>
<p>{{ t.purpose_text }}</p>
<h2>{{ t.ngo_duties }}</h2>
<ul>
<li>{{ t.ngo_1 }}</li>
<li>{{ t.ngo_2 }}</li>
<li>{{ t.ngo_3 }}</li>
<li>{{ t.ngo_4 }}</li>
</ul>
<h2>{{ t.county_duties }}</h2>
<ul>
<li>{{ t.county_1 }}</li>
<li>{{ t.county_2 }}</li>
<li>{{ t.county_3 }}</li>
</ul>
<h2>{{ t.payment }}</h2>
<p>{{ fee }}</p>
<p>{{ t.payment_text }}</p>
<h2>{{ t.privacy }}</h2>
<p>{{ t.privacy_text }}</p>
<h2>{{ t.validity }}</h2>
<p>{{ period }}</p>
<p>{{ in_force }}</p>
{% if renewal %}<p>{{ renewal }}</p>
{% endif %}<h2>{{ t.termination }}</h2>
<p>{{ termination }}</p>
<p>{{ t.signing }}</p>
</article>
""")


def _day(day: dt.date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def render(organization_name: str, terms: OrganizationAgreementDrafted, language: str) -> Document:
    """One version of the agreement in ``language`` (fi or sv)."""
    t: Any = TEXTS[language]
    start = _day(terms.valid_from)
    values: dict[str, Any] = {
        "lang": language, "t": t, "version": terms.version, "organization_name": organization_name,
        "organization_id": terms.organization_id, "agreement_id": terms.agreement_id,
        "fee": t["fee_text"].format(fee=euros(terms.annual_fee), days=terms.payment_days)
        if terms.annual_fee else t["no_fee_text"],
        "period": t["period"].format(start=start, end=_day(terms.valid_until)) if terms.valid_until
        else t["open_period"].format(start=start),
        "in_force": t["in_force"].format(start=start),
        "renewal": t["renewal"].format(version=terms.version) if terms.version > 1 else "",
        "termination": t["termination_text"].format(notice=terms.notice_days),
    }
    return Document(terms.version, language, TEMPLATE.render(values))
