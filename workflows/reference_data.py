"""Reference data every installation starts with, and the West Kalimantan demo organisation."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from workflows import roles
from workflows.models import Agency, Category, User

# (code, name, description, English name)
CATEGORIES = [
    ("kesehatan", "Kesehatan", "Puskesmas, rumah sakit, BPJS Kesehatan, obat dan vaksin", "Health"),
    ("pendidikan", "Pendidikan", "Sekolah, guru, PPDB, bantuan pendidikan", "Education"),
    ("infrastruktur", "Infrastruktur", "Jalan, jembatan, drainase, lampu jalan, air bersih", "Infrastructure"),
    ("administrasi_kependudukan", "Administrasi Kependudukan", "KTP-el, KK, akta, surat pindah",
     "Civil registration (ID cards, family cards, certificates)"),
    ("lingkungan", "Lingkungan Hidup", "Sampah, pencemaran, banjir, kebakaran lahan", "Environment"),
    ("pelayanan_publik_umum", "Pelayanan Publik Umum", "Perizinan, pungutan liar, sikap petugas",
     "General public services"),
]

# (code, name, kind, parent code)
DEMO_AGENCIES = [
    ("pemprov-kalbar", "Pemerintah Provinsi Kalimantan Barat", "province", None),
    ("dinkes-kalbar", "Dinas Kesehatan Provinsi Kalimantan Barat", "dinas", "pemprov-kalbar"),
    ("disdik-kalbar", "Dinas Pendidikan dan Kebudayaan Provinsi Kalimantan Barat", "dinas", "pemprov-kalbar"),
    ("pupr-kalbar", "Dinas Pekerjaan Umum dan Penataan Ruang Provinsi Kalimantan Barat", "dinas", "pemprov-kalbar"),
    ("inspektorat-kalbar", "Inspektorat Provinsi Kalimantan Barat", "dinas", "pemprov-kalbar"),
    ("pemkot-pontianak", "Pemerintah Kota Pontianak", "city", None),
    ("pemkab-kuburaya", "Pemerintah Kabupaten Kubu Raya", "regency", None),
    ("dpupr-kuburaya", "Dinas Pekerjaan Umum dan Penataan Ruang Kabupaten Kubu Raya", "dinas", "pemkab-kuburaya"),
    ("ombudsman-kalbar", "Ombudsman RI Perwakilan Kalimantan Barat", "ombudsman", None),
]

DEMO_PASSWORD = "tindak-demo"  # demo only; listed in the README

# (username, full name, role, agency code)
DEMO_USERS = [
    ("admin", "Admin Sistem", roles.SUPER_ADMIN, "pemprov-kalbar"),
    ("verifikator", "Rina Kartika (Verifikator Provinsi)", roles.VERIFIER, "pemprov-kalbar"),
    ("dinkes.admin", "Hendra Wijaya (Admin Dinkes)", roles.AGENCY_ADMIN, "dinkes-kalbar"),
    ("dinkes.penghubung", "Nurul Hidayah (Penghubung Dinkes)", roles.LIAISON, "dinkes-kalbar"),
    ("dinkes.kepala", "dr. Harisson, M.Kes (Kepala Dinkes)", roles.AGENCY_HEAD, "dinkes-kalbar"),
    ("pupr.penghubung", "Yohanes Alexander (Penghubung PUPR)", roles.LIAISON, "pupr-kalbar"),
    ("kuburaya.penghubung", "Syarif Usman (Penghubung Kubu Raya)", roles.LIAISON, "pemkab-kuburaya"),
    ("kuburaya.verifikator", "Dewi Lestari (Verifikator Kubu Raya)", roles.VERIFIER, "pemkab-kuburaya"),
    ("pukuburaya.penghubung", "Agus Salim (Penghubung PUPR Kubu Raya)", roles.LIAISON, "dpupr-kuburaya"),
    ("disdik.penghubung", "Maria Goreti (Penghubung Disdikbud)", roles.LIAISON, "disdik-kalbar"),
    ("inspektorat.penghubung", "Abdul Rahman (Penghubung Inspektorat)", roles.LIAISON, "inspektorat-kalbar"),
    ("pontianak.penghubung", "Lim Siu Fong (Penghubung Pemkot Pontianak)", roles.LIAISON, "pemkot-pontianak"),
    ("gubernur", "Gubernur Kalimantan Barat", roles.AGENCY_HEAD, "pemprov-kalbar"),
    ("ombudsman", "Tim Pemeriksa Ombudsman Kalbar", roles.OMBUDSMAN, "ombudsman-kalbar"),
    ("perancang", "Perancang Proses", roles.DESIGNER, "pemprov-kalbar"),
]


def seed_categories(session: Session) -> None:
    """The starting categories. One that exists keeps its names; if it still has its starting
    Indonesian name and no English one (installations from before English names), it gets ours."""
    known = {c.code: c for c in session.scalars(select(Category))}
    for code, name, description, name_en in CATEGORIES:
        if code not in known:
            session.add(Category(code=code, name=name, name_en=name_en, description=description))
        elif not known[code].name_en and known[code].name == name:
            known[code].name_en = name_en


def add_agency(session: Session, code: str, name: str, kind: str, parent: Agency | None) -> Agency:
    agency = Agency(code=code, name=name, kind=kind, parent=parent,
                    path=f"{parent.path if parent else '/'}{code}/")
    session.add(agency)
    return agency


def seed_demo_organisation(session: Session) -> None:
    """Agencies and users of the demo; rows that exist already are left alone."""
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    for code, name, kind, parent in DEMO_AGENCIES:
        if code not in agencies:
            agencies[code] = add_agency(session, code, name, kind, agencies.get(parent) if parent else None)
    session.flush()
    known = set(session.scalars(select(User.username)))
    password_hash = generate_password_hash(DEMO_PASSWORD)
    for username, full_name, role, agency in DEMO_USERS:
        if username not in known:
            session.add(User(username=username, full_name=full_name, role=role,
                             agency_id=agencies[agency].id, password_hash=password_hash,
                             email=f"{username}@tindak.example.org"))
