"""The texts of the messages, in Finnish, Swedish and English.

A message says only that something waits for the person and links to the page where it is: never a theme,
a diagnosis, a free text, a place or a fee. So a text takes no value but the link (``{link}``); a unit test
holds every template to that.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.notifications.events import Language, MessageKind

SIGNATURE = {
    Language.fi: "Kokemusasiantuntijatoiminnan koordinointi",
    Language.sv: "Koordineringen av erfarenhetsexperter",
    Language.en: "Experience expert coordination",
}

# kind -> language -> (subject, the sentence saying what waits)
TEMPLATES: dict[MessageKind, dict[Language, tuple[str, str]]] = {
    MessageKind.offer_made: {
        Language.fi: ("Uusi toimeksiantotarjous", "Sinulle on uusi toimeksiantotarjous. Vastaathan siihen ennen "
                                                  "kuin se vanhenee: {link}"),
        Language.sv: ("Nytt uppdragserbjudande", "Du har ett nytt uppdragserbjudande. Svara innan det går ut: "
                                                 "{link}"),
        Language.en: ("A new assignment offer", "You have a new assignment offer. Please answer before it "
                                                "expires: {link}"),
    },
    MessageKind.offer_expiring: {
        Language.fi: ("Tarjous vanhenee pian", "Sinulle tehty toimeksiantotarjous vanhenee pian. Vastaathan siihen: "
                                               "{link}"),
        Language.sv: ("Ett erbjudande går snart ut", "Ett uppdragserbjudande till dig går snart ut. Svara på det: "
                                                     "{link}"),
        Language.en: ("An offer expires soon", "An assignment offer made to you expires soon. Please answer it: "
                                               "{link}"),
    },
    MessageKind.contract_to_sign: {
        Language.fi: ("Sopimus odottaa allekirjoitustasi", "Toimeksiantosopimus odottaa allekirjoitustasi: {link}"),
        Language.sv: ("Ett avtal väntar på din underskrift", "Ett uppdragsavtal väntar på din underskrift: {link}"),
        Language.en: ("A contract waits for your signature", "An assignment contract waits for your signature: "
                                                             "{link}"),
    },
    MessageKind.task_changed: {
        Language.fi: ("Toimeksiannon tiedot muuttuivat", "Tilaaja muutti toimeksiannon tietoja. Katso ne: {link}"),
        Language.sv: ("Uppdragets uppgifter ändrades", "Beställaren ändrade uppdragets uppgifter. Se dem: {link}"),
        Language.en: ("The assignment was changed", "The orderer changed the assignment. See what it is now: "
                                                    "{link}"),
    },
    MessageKind.candidates_exhausted: {
        Language.fi: ("Tilaus odottaa uusia ehdokkaita", "Kaikki tilauksesi ehdokkaat ovat vastanneet tai "
                                                         "ohitettu, ja tilaus odottaa yhä asiantuntijoita. Nimeä "
                                                         "uusia ehdokkaita: {link}"),
        Language.sv: ("Beställningen väntar på nya kandidater", "Alla kandidater för din beställning har svarat "
                                                                "eller hoppats över, och beställningen väntar "
                                                                "fortfarande på experter. Ange nya kandidater: "
                                                                "{link}"),
        Language.en: ("Your order needs more candidates", "Every candidate of your order has answered or been "
                                                          "skipped, and it still wants experts. Name more "
                                                          "candidates: {link}"),
    },
    MessageKind.engagement_cancelled: {
        Language.fi: ("Toimeksianto on peruttu", "Toimeksianto on peruttu. Katso tiedot: {link}"),
        Language.sv: ("Ett uppdrag har ställts in", "Ett uppdrag har ställts in. Se uppgifterna: {link}"),
        Language.en: ("An assignment was cancelled", "An assignment was cancelled. See the details: {link}"),
    },
    MessageKind.expense_approved: {
        Language.fi: ("Kulukorvaus hyväksytty", "Kulukorvaushakemuksesi rivi on hyväksytty: {link}"),
        Language.sv: ("Kostnadsersättning godkänd", "En rad i din ansökan om kostnadsersättning har godkänts: "
                                                    "{link}"),
        Language.en: ("Expense claim approved", "A line of your expense claim was approved: {link}"),
    },
    MessageKind.expense_returned: {
        Language.fi: ("Kulukorvaus palautettu", "Kulukorvaushakemuksesi rivi palautettiin korjattavaksi: {link}"),
        Language.sv: ("Kostnadsersättning returnerad", "En rad i din ansökan om kostnadsersättning returnerades "
                                                       "för korrigering: {link}"),
        Language.en: ("Expense claim returned", "A line of your expense claim was returned to be corrected: "
                                                "{link}"),
    },
    MessageKind.feedback_requested: {
        Language.fi: ("Palautelomake odottaa", "Toimeksianto on toteutunut. Palautelomake odottaa täyttämistä: "
                                               "{link}"),
        Language.sv: ("Ett responsformulär väntar", "Uppdraget är utfört. Ett responsformulär väntar på dig: "
                                                    "{link}"),
        Language.en: ("A feedback form waits", "The assignment was delivered. A feedback form waits for you: "
                                               "{link}"),
    },
    MessageKind.feedback_reminder: {
        Language.fi: ("Muistutus: palautelomake", "Muistutus: palautelomake odottaa yhä täyttämistä: {link}"),
        Language.sv: ("Påminnelse: responsformulär", "Påminnelse: ett responsformulär väntar fortfarande: {link}"),
        Language.en: ("Reminder: a feedback form", "Reminder: a feedback form still waits for you: {link}"),
    },
    MessageKind.payment_made: {
        Language.fi: ("Maksu on tehty", "Toimeksiannostasi on tehty maksu. Katso tiedot: {link}"),
        Language.sv: ("En betalning har gjorts", "En betalning för ditt uppdrag har gjorts. Se uppgifterna: {link}"),
        Language.en: ("A payment was made", "A payment for your assignment was made. See the details: {link}"),
    },
    MessageKind.consent_expiring: {
        Language.fi: ("Suostumuksesi päättyy pian", "Suostumuksesi päättyy pian. Voit uusia sen täällä: {link}"),
        Language.sv: ("Ditt samtycke upphör snart", "Ditt samtycke upphör snart. Du kan förnya det här: {link}"),
        Language.en: ("Your consent ends soon", "Your consent ends soon. You can renew it here: {link}"),
    },
    MessageKind.profile_returned: {
        Language.fi: ("Profiilisi palautettiin", "Profiilisi palautettiin sinulle tarkastuksesta. Katso miksi: {link}"),
        Language.sv: ("Din profil returnerades", "Din profil returnerades till dig från granskningen. Se varför: "
                                                  "{link}"),
        Language.en: ("Your profile was returned", "Your profile was returned to you from review. See why: {link}"),
    },
    MessageKind.credentials_expiring: {
        Language.fi: ("Tunnuksesi vanhenevat pian", "Tunnuksesi kokemuspankin hakuun vanhenevat pian. Pyydä "
                                                    "koordinaattorilta jatkoa tarvittaessa: {link}"),
        Language.sv: ("Dina inloggningsuppgifter går snart ut", "Dina uppgifter för att söka i erfarenhetsbanken "
                                                                "går snart ut. Be koordinatorn om förlängning vid "
                                                                "behov: {link}"),
        Language.en: ("Your credentials end soon", "Your credentials to search the experience bank end soon. Ask "
                                                   "the coordinator to extend them if you need: {link}"),
    },
}


@dataclass(frozen=True)
class Message:
    subject: str
    body: str  # the e-mail's text
    short: str  # the text message's


def render(kind: MessageKind, language: Language, link: str) -> Message:
    """The message of ``kind`` in ``language``, linking to ``link``; nothing else can go in."""
    subject, sentence = TEMPLATES[kind][language]
    text = sentence.format(link=link)
    return Message(subject=subject, body=f"{text}\n\n-- \n{SIGNATURE[language]}\n", short=text)
