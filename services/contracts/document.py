"""The assignment contract (toimeksiantosopimus / uppdragsavtal) as a document a person reads and signs: its parts
rendered as HTML in Finnish or Swedish from the contract's terms, and the SHA-256 of exactly that text.

The rendering is deterministic (no clock, no random ids), so the same terms give the same document and the same
hash; a signature names the hash of the document its signer saw, and is refused when that is not the version to
sign now. No I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import jinja2

from services.contracts.events import ContractDrafted
from services.contracts.expenses import PER_DIEM_FULL_HOURS, PER_DIEM_PARTIAL_HOURS, cents
from shared.documents import LANGUAGES, Document, euros as _euros

__all__ = ["LANGUAGES", "TEXTS", "Document", "render"]
VERSION = 1  # the first version; each amendment makes the next (2, 3, …), which both parties sign again

TASK_TYPES = {
    "fi": {"lecture": "Puheenvuoro tai luento", "co_teaching": "Yhteisopetus", "development_group": "Kehittäjäryhmä",
           "service_evaluation": "Palvelun arviointi", "peer_support": "Vertaistuki", "media": "Mediatyö",
           "other": "Muu tehtävä"},
    "sv": {"lecture": "Anförande eller föreläsning", "co_teaching": "Samundervisning",
           "development_group": "Utvecklingsgrupp", "service_evaluation": "Utvärdering av tjänster",
           "peer_support": "Kamratstöd", "media": "Mediearbete", "other": "Annat uppdrag"},
}

TEXTS = {
    "fi": {
        "title": "Toimeksiantosopimus", "version": "Versio", "parties": "Osapuolet", "expert": "Kokemusasiantuntija",
        "orderer": "Tilaaja", "task": "Tehtävä", "topic": "Aihe", "date": "Päivämäärä", "length": "Kesto",
        "hours": "tuntia", "place": "Paikka", "remote": "Etätehtävä", "not_given": "sovitaan erikseen",
        "as_ordered": "tilauksen mukaan",
        "fee": "Palkkio", "fee_orderer": "Tilaajan asettama palkkio.",
        "fee_recommended": "Hyvinvointialueen suositeltu palkkiotaulukko {table}, voimassa sopimusta laadittaessa.",
        "hourly": "{amount} tunnilta", "fixed": "{amount} koko tehtävästä", "minimum": "vähintään {amount}",
        "expenses": "Kulukorvaukset",
        "expenses_text": "Kokemusasiantuntija ei koskaan maksa työstään: kulut korvataan aina. Kulukorvaukset "
                         "maksetaan tehtäväpäivänä voimassa olevien taksojen ({rates}) mukaan: oma auto {car} "
                         "kilometriltä (reitti ilmoitetaan), joukkoliikenteen liput ja pysäköinti kuitin mukaan, "
                         "päiväraha {partial} yli {partial_hours} tunnin ja {full} yli {full_hours} tunnin "
                         "poissaolosta tai ateriakorvaus {meal}. Kokemusasiantuntija hakee korvausta tehtävän "
                         "jälkeen; tilaaja tai koordinaattori hyväksyy jokaisen rivin tai palauttaa sen perustellen.",
        "cancellation": "Peruutusehdot",
        "cancel_before": "Ennen kuin molemmat ovat allekirjoittaneet, kumpikin voi perua ilman korvauksia.",
        "cancel_orderer": "Jos tilaaja peruu allekirjoitetun toimeksiannon, se maksaa kokemusasiantuntijalle "
                          "{share} % odotetusta palkkiosta, eli {amount}, sekä jo syntyneet kulut.",
        "cancel_expert": "Jos kokemusasiantuntija peruu, hän ei ole velkaa tilaajalle mitään eikä hänelle makseta "
                         "palkkiota.",
        "tax": "Verotus",
        "tax_text": "Palkkio on veronalaista tuloa: siitä toimitetaan ennakonpidätys verokortin mukaan, tai se "
                    "maksetaan työkorvauksena, jos kokemusasiantuntija on ennakkoperintärekisterissä. "
                    "Verohallinnon enimmäismäärien mukaiset kulukorvaukset ovat verovapaita.",
        "privacy": "Tietosuoja",
        "privacy_text": "Hyvinvointialue käsittelee osapuolten tietoja tämän sopimuksen toteuttamiseksi ja "
                        "maksamiseksi (EU:n tietosuoja-asetus, 6 artiklan 1 kohdan b alakohta). Sopimukseen ei "
                        "kirjata kenenkään terveyttä tai elämäntilannetta koskevia tietoja. Matkan reitti näytetään "
                        "vain osapuolille ja koordinaattorille.",
        "signing": "Allekirjoittamalla osapuoli hyväksyy tämän asiakirjan version ehdot.",
        "time": "Kellonaika", "amendment": "Muutos",
        "amendment_text": "Tämä versio {version} muuttaa sopimuksen version {previous} ehtoja: {changed}. Muut ehdot "
                          "pysyvät ennallaan. Molemmat osapuolet allekirjoittavat muutetun version; aiemmat versiot "
                          "säilyvät luettavina.",
        "changed": {"task_date": "päivämäärä", "start_time": "kellonaika", "duration_hours": "kesto",
                    "remote": "etä- tai lähitehtävä", "place": "paikka", "hourly_fee": "palkkio",
                    "fixed_fee": "palkkio"},
    },
    "sv": {
        "title": "Uppdragsavtal", "version": "Version", "parties": "Parter", "expert": "Erfarenhetsexpert",
        "orderer": "Beställare", "task": "Uppdrag", "topic": "Ämne", "date": "Datum", "length": "Längd",
        "hours": "timmar", "place": "Plats", "remote": "Distansuppdrag", "not_given": "avtalas separat",
        "as_ordered": "enligt beställningen",
        "fee": "Arvode", "fee_orderer": "Arvodet som beställaren fastställt.",
        "fee_recommended": "Välfärdsområdets rekommenderade arvodestabell {table}, i kraft då avtalet upprättades.",
        "hourly": "{amount} per timme", "fixed": "{amount} för hela uppdraget", "minimum": "minst {amount}",
        "expenses": "Kostnadsersättningar",
        "expenses_text": "Erfarenhetsexperten betalar aldrig för att arbeta: kostnaderna ersätts alltid. "
                         "Ersättningarna betalas enligt taxorna som gäller på uppdragets dag ({rates}): egen bil "
                         "{car} per kilometer (rutten uppges), biljetter för kollektivtrafik och parkering enligt "
                         "kvitto, dagtraktamente {partial} för över {partial_hours} timmar och {full} för över "
                         "{full_hours} timmar borta, eller måltidsersättning {meal}. Erfarenhetsexperten ansöker om "
                         "ersättning efter uppdraget; beställaren eller en koordinator godkänner varje rad eller "
                         "returnerar den med en motivering.",
        "cancellation": "Villkor för annullering",
        "cancel_before": "Innan båda har undertecknat kan vardera annullera utan ersättning.",
        "cancel_orderer": "Om beställaren annullerar ett undertecknat uppdrag betalar den erfarenhetsexperten "
                          "{share} % av det väntade arvodet, alltså {amount}, samt redan uppkomna kostnader.",
        "cancel_expert": "Om erfarenhetsexperten annullerar är hen inte skyldig beställaren något och får inget "
                         "arvode.",
        "tax": "Beskattning",
        "tax_text": "Arvodet är skattepliktig inkomst: förskottsinnehållning verkställs enligt skattekortet, eller "
                    "det betalas som arbetsersättning om erfarenhetsexperten är införd i förskottsuppbördsregistret. "
                    "Kostnadsersättningar inom Skatteförvaltningens maximibelopp är skattefria.",
        "privacy": "Dataskydd",
        "privacy_text": "Välfärdsområdet behandlar parternas uppgifter för att fullgöra och betala detta avtal "
                        "(EU:s dataskyddsförordning, artikel 6.1 b). I avtalet antecknas inga uppgifter om någons "
                        "hälsa eller livssituation. Resans rutt visas bara för parterna och koordinatorn.",
        "signing": "Genom att underteckna godkänner parten villkoren i denna version av dokumentet.",
        "time": "Klockslag", "amendment": "Ändring",
        "amendment_text": "Denna version {version} ändrar villkoren i version {previous} av avtalet: {changed}. Övriga "
                          "villkor förblir oförändrade. Båda parterna undertecknar den ändrade versionen; tidigare "
                          "versioner förblir läsbara.",
        "changed": {"task_date": "datum", "start_time": "klockslag", "duration_hours": "längd",
                    "remote": "distans- eller närvarouppdrag", "place": "plats", "hourly_fee": "arvode",
                    "fixed_fee": "arvode"},
    },
}

TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string("""\
<article class="contract-document" lang="{{ lang }}">
<h1>{{ t.title }}</h1>
<p>{{ t.version }} {{ version }}</p>
{% if amendment %}<h2>{{ t.amendment }}</h2>
<p>{{ amendment }}</p>
{% endif %}<h2>{{ t.parties }}</h2>
<dl>
<dt>{{ t.expert }}</dt><dd>{{ terms.expert_id }}</dd>
<dt>{{ t.orderer }}</dt><dd>{{ terms.orderer_id }}</dd>
</dl>
<h2>{{ t.task }}</h2>
<dl>
<dt>{{ t.task }}</dt><dd>{{ task_type }}</dd>
<dt>{{ t.topic }}</dt><dd>{{ terms.topic or t.as_ordered }}</dd>
<dt>{{ t.date }}</dt><dd>{{ date }}</dd>
{% if terms.start_time %}<dt>{{ t.time }}</dt><dd>{{ terms.start_time.strftime("%H.%M") }}</dd>
{% endif %}<dt>{{ t.length }}</dt><dd>{{ hours }} {{ t.hours }}</dd>
<dt>{{ t.place }}</dt><dd>{{ t.remote if terms.remote else (terms.place or t.as_ordered) }}</dd>
</dl>
<h2>{{ t.fee }}</h2>
<p>{{ basis }}</p>
<p>{{ fee }}</p>
<h2>{{ t.expenses }}</h2>
<p>{{ expenses }}</p>
<h2>{{ t.cancellation }}</h2>
<ul>
<li>{{ t.cancel_before }}</li>
<li>{{ cancel_orderer }}</li>
<li>{{ t.cancel_expert }}</li>
</ul>
<h2>{{ t.tax }}</h2>
<p>{{ t.tax_text }}</p>
<h2>{{ t.privacy }}</h2>
<p>{{ t.privacy_text }}</p>
<p>{{ t.signing }}</p>
</article>
""")


def _number(value: Decimal | None) -> str:
    return "–" if value is None else format(value.normalize(), "f").replace(".", ",")


def render(terms: ContractDrafted, expected_fee: Decimal, language: str, version: int = VERSION,
           changed: Sequence[str] = ()) -> Document:
    """The contract's document in ``language`` (fi or sv); a version after the first names the terms it
    ``changed``. The first version reads as it always has, so that its hash, which signatures name, stays."""
    t: Any = TEXTS[language]
    fee_parts = []
    if terms.fixed_fee is not None:
        fee_parts.append(t["fixed"].format(amount=_euros(terms.fixed_fee)))
    elif terms.hourly_fee is not None:
        fee_parts.append(t["hourly"].format(amount=_euros(terms.hourly_fee)))
    if terms.fee_basis == "recommended":
        fee_parts.append(t["minimum"].format(amount=_euros(terms.minimum_fee)))
    values: dict[str, Any] = {
        "lang": language, "t": t, "version": version, "terms": terms,
        "task_type": TASK_TYPES[language].get(terms.task_type or "other", terms.task_type),
        "date": terms.task_date.strftime("%-d.%-m.%Y") if terms.task_date else t["not_given"],
        "hours": _number(terms.duration_hours),
        "basis": t["fee_recommended"].format(table=terms.rate_table_id) if terms.fee_basis == "recommended"
        else t["fee_orderer"],
        "fee": ", ".join(fee_parts),
        "expenses": t["expenses_text"].format(
            rates=terms.expense_rates_id or "–", car=_euros(terms.mileage_per_km),
            partial=_euros(terms.per_diem_partial), full=_euros(terms.per_diem_full),
            meal=_euros(terms.meal_allowance), partial_hours=PER_DIEM_PARTIAL_HOURS,
            full_hours=PER_DIEM_FULL_HOURS),
        "amendment": t["amendment_text"].format(
            version=version, previous=version - 1,
            changed=", ".join(dict.fromkeys(t["changed"][name] for name in changed))) if version > 1 else "",
        "cancel_orderer": t["cancel_orderer"].format(share=_number(terms.cancellation_fee_share * 100),
                                                     amount=_euros(cents(expected_fee * terms.cancellation_fee_share))),
    }
    return Document(version, language, TEMPLATE.render(values))
