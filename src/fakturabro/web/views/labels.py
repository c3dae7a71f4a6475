"""Swedish words for the codes the pages show, written for tradespeople."""

from __future__ import annotations

KINDS = {"labour": "Arbete", "material": "Material", "other": "Övrigt", "text": "Fritext"}

HOUSE_WORK_KINDS = {"rot": "ROT-avdrag", "rut": "RUT-avdrag", "green": "Grön teknik"}

HOUSE_WORK_TYPES = {
    "bygg": "ROT · Bygg",
    "el": "ROT · El",
    "glas_platarbete": "ROT · Glas och plåt",
    "mark_draneringsarbete": "ROT · Mark och dränering",
    "murning": "ROT · Murning",
    "malning_tapetsering": "ROT · Målning och tapetsering",
    "vvs": "ROT · VVS",
    "stadning": "RUT · Städning",
    "klad_och_textilvard": "RUT · Kläd- och textilvård",
    "snoskottning": "RUT · Snöskottning",
    "tradgardsarbete": "RUT · Trädgårdsarbete",
    "barnpassning": "RUT · Barnpassning",
    "personlig_omsorg": "RUT · Personlig omsorg",
    "flyttjanster": "RUT · Flyttjänster",
    "it_tjanster": "RUT · IT-tjänster",
    "reparation_av_vitvaror": "RUT · Reparation av vitvaror",
    "moblering": "RUT · Möblering",
    "tillsyn_av_bostad": "RUT · Tillsyn av bostad",
    "transport_till_forsaljning": "RUT · Transport till försäljning",
    "tvatt_vid_tvattinrattning": "RUT · Tvätt vid tvättinrättning",
    "solceller": "Grön teknik · Solceller",
    "energilagring": "Grön teknik · Energilagring",
    "laddpunkt": "Grön teknik · Laddpunkt",
}

INVOICE_STATUS = {
    "draft": "Utkast",
    "approved": "Godkänd",
    "partially_paid": "Delbetald",
    "paid": "Betald",
    "credited": "Krediterad",
}

EXPORT_STEPS = {
    "begin": "Start",
    "check_connection": "Kopplingen",
    "customer": "Kund",
    "resolve_customer": "Kund",
    "articles": "Artiklar",
    "resolve_articles": "Artiklar",
    "document": "Fakturan",
    "send_document": "Fakturan",
    "link": "Länk till fakturan",
    "link_back": "Länk till fakturan",
    "finish": "Kontroll av belopp",
    "retry": "Nytt försök",
}

# The link back from the Visma document to the invoice, next to the export state on the invoice's page.
LINK_STATES = {
    "linked": "Fakturan i Visma har en länk tillbaka hit",
    "pending": "Länken från fakturan i Visma hit skapas …",
    "refused": "Visma godtog inte länken hit (se exporthistoriken)",
    "off": "Ingen länk från Visma hit",
}

EXPORT_OUTCOMES = {
    "ok": "klart",
    "done": "klart",
    "exported": "exporterad",
    "totals_differ": "beloppen skiljer sig",
    "retry": "försöker igen",
    "gave_up": "väntar, försöker senare",
    "refused": "avvisad av Visma",
    "link_refused": "länken godtogs inte",
    "linked": "länk tillbaka hit skapad i Visma",
    "not_connected": "inte kopplad",
    "needs_reconnect": "behöver återanslutning",
    "needs_attention": "behöver åtgärd (kunden i Visma stämmer inte)",
    "bug": "oväntat fel",
    "failed": "misslyckades",
    "waiting": "väntar",
}

# The registers' runs ("Importera/Exportera" under Artiklar and Kunder).
REGISTER_OPERATIONS = {
    "articles_import": "import från fil",
    "articles_push": "överföring till Visma",
    "articles_pull": "hämtning från Visma",
    "customers_import": "import från fil",
    "customers_push": "överföring till Visma",
    "customers_pull": "hämtning från Visma",
}

RUN_STATUS = {"previewed": "Förhandsgranskad", "running": "Pågår", "succeeded": "Klar", "failed": "Avbruten"}
