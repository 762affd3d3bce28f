"""Builders of small VRSB0801 documents for tests: a household is a dict of what it carries, a flux is bytes."""

from xml.sax.saxutils import escape

from accompaniment import nir as nir_lib


def valid_nir(stem):
    """The 15-character form of a 13-digit stem (its key appended)."""
    return f"{stem}{nir_lib.key_of(stem):02d}"


def person(
    *,
    role="DEM",
    last="MARTIN",
    first="Claire",
    birth="1988-04-12",
    nir="2880413055123",
    sex="2",
    subject="1",
    idassedic=None,
    birth_name=None,
):
    parts = ["<Personne><Identification>", "<QUAL>MME</QUAL>" if sex == "2" else "<QUAL>MR</QUAL>"]
    if last is not None:
        parts.append(f"<NOM>{escape(last)}</NOM>")
    parts.append(f"<NOMNAI>{escape(birth_name if birth_name is not None else last or '')}</NOMNAI>")
    if first is not None:
        parts.append(f"<PRENOM>{escape(first)}</PRENOM>")
    parts.append("<NOMCOMNAI>MARSEILLE</NOMCOMNAI>")
    if birth is not None:
        parts.append(f"<DTNAI>{birth}</DTNAI>")
    if nir:
        parts.append(f"<NIR>{nir}</NIR>")
    parts += [
        f"<SEXE>{sex}</SEXE></Identification>",
        "<DossierCAF><TOPRESPDOS>1</TOPRESPDOS><DDRATDOS>2018-01-01</DDRATDOS></DossierCAF>",
        f"<Prestations><NATPREST>PFA</NATPREST><ROLEPERS>{role}</ROLEPERS><TOPCHAPERS>1</TOPCHAPERS></Prestations>",
        f"<Prestations><NATPREST>RSA</NATPREST><ROLEPERS>{role}</ROLEPERS><TOPCHAPERS>1</TOPCHAPERS></Prestations>",
    ]
    if idassedic:
        parts.append(f"<DossierPoleEmploi><IDASSEDIC>{idassedic}</IDASSEDIC></DossierPoleEmploi>")
    if subject is not None:
        parts.append(
            f"<MontantCalculDroitRSAPersonne><TOPPERSDRODEVORSA>{subject}</TOPPERSDRODEVORSA>"
            "</MontantCalculDroitRSAPersonne>"
        )
    parts.append("</Personne>")
    return "".join(parts)


def rights(state="2", *, suspension=None, closure=None):
    blocks = [f"<EtatDossierRSA><ETATDOSRSA>{state}</ETATDOSRSA></EtatDossierRSA>"]
    if suspension:
        reason, since = suspension
        blocks.append(
            f"<SuspensionVersement><MOTISUSVERSRSA>{reason}</MOTISUSVERSRSA><DDSUSVERSRSA>{since}</DDSUSVERSRSA>"
            "</SuspensionVersement>"
        )
    if closure:
        reason, since = closure
        blocks.append(f"<FinDroit><MOTICLORSA>{reason}</MOTICLORSA><DTCLORSA>{since}</DTCLORSA></FinDroit>")
    return (
        f"<PrestationRSA><SituationDossierRSA>{''.join(blocks)}</SituationDossierRSA>"
        "<DetailDroitRSA><TroncCommunDroitRSA><TOPSANSDOMFIXE>0</TOPSANSDOMFIXE><ORIDEMRSA>DEM</ORIDEMRSA>"
        "</TroncCommunDroitRSA></DetailDroitRSA></PrestationRSA>"
    )


def address(*, insee="13055", postal="13008", city="MARSEILLE", street="RUE PARADIS", number="12", moved_in=None):
    moved = f"<DTEMM>{moved_in}</DTEMM>" if moved_in else ""
    return (
        "<DonneesAdministratives><SituationFamille><SITFAM>CEL</SITFAM><DDSITFAM>2010-01-01</DDSITFAM>"
        f"</SituationFamille><Adresse><TroncCommunAdresse><RGADR>01</RGADR>{moved}<PAYS>FRA</PAYS><TYPEADR>D</TYPEADR>"
        "<ETATADR>CO</ETATADR></TroncCommunAdresse><AdresseDetailleeFrance><COMPLIDEADR>BAT A</COMPLIDEADR>"
        f"<COMPLADR/><NUMVOIE>{number}</NUMVOIE><LIBTYPEVOIE/><NOMVOIE>{street}</NOMVOIE><LIEUDIST/>"
        f"<NUMCOM>{insee}</NUMCOM><CODEPOS>{postal}</CODEPOS><NOMCOM>{city}</NOMCOM></AdresseDetailleeFrance>"
        "</Adresse></DonneesAdministratives>"
    )


def household(
    matricule="0001234",
    *,
    persons=None,
    fund="CAF",
    number="131",
    requested="2026-09-01",
    state="2",
    suspension=None,
    closure=None,
    with_address=True,
    address_block=None,
    transferred_in=None,
):
    parts = [
        "<InfosFoyerRSA><IdentificationRSA><Organisme>",
        f"<FONORG>{fund}</FONORG><NUMORG>{number}</NUMORG><MATRICULE>{matricule}</MATRICULE></Organisme>",
        "<Partenaire><TYPEPARTE>CG</TYPEPARTE><IDEPARTE>013</IDEPARTE></Partenaire>",
    ]
    if requested:
        parts.append(f"<DemandeRSA><DTDEMRSA>{requested}</DTDEMRSA><NUMDEMRSA>00000000001</NUMDEMRSA></DemandeRSA>")
    if transferred_in:
        parts.append(
            "<OrganismeCedant><FONORGCEDMUT>CAF</FONORGCEDMUT><NUMORGCEDMUT>921</NUMORGCEDMUT>"
            f"<DDARRMUT>{transferred_in}</DDARRMUT></OrganismeCedant>"
        )
    parts.append("</IdentificationRSA>")
    parts.extend([person()] if persons is None else persons)
    if address_block is not None:
        parts.append(address_block)
    elif with_address:
        parts.append(address())
    if state is not None:
        parts.append(rights(state, suspension=suspension, closure=closure))
    parts.append("</InfosFoyerRSA>")
    return "".join(parts)


def flux(*households, flux_type="M", created="2026-10-02", reference=None, encoding="windows-1252", total=None):
    reference = reference or created
    count = len(households) if total is None else total
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<Racine xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="vrsb0801.xsd">\n'
        f"<IdentificationFlux><APPLIEME>CRI</APPLIEME><NUMVERSIONAPPLIEME>6200</NUMVERSIONAPPLIEME>"
        f"<TYPEFLUX>{flux_type}</TYPEFLUX><NATFLUX>D</NATFLUX><DTCREAFLUX>{created}</DTCREAFLUX>"
        f"<HEUCREAFLUX>21:27:43.0000</HEUCREAFLUX><DTREF>{reference}</DTREF></IdentificationFlux>\n"
        + "\n".join(households)
        + f"\n<TransmissionFlux><NBTOTDOSRSATRANSM>{count:08d}</NBTOTDOSRSATRANSM>"
        "<NBTOTDOSRSATRANSMANO>00000000</NBTOTDOSRSATRANSMANO></TransmissionFlux>\n</Racine>\n"
    )
    codec = "cp1252" if encoding.lower() == "windows-1252" else encoding
    return text.encode(codec)
