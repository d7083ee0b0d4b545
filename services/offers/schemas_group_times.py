"""Query and answer of the free times for a group meeting (O-12)."""

from __future__ import annotations

from apiflask import Schema, fields
from apiflask.validators import Length, Range

from services.offers.schemas import DanishSchema

ALLOWED = [0, 15, 20, 30, 40, 45]


class GroupMeetingTimesQuery(DanishSchema):
    advisor_id = fields.List(
        fields.UUID(),
        required=True,
        validate=Length(min=1, max=20, error="Vælg mellem 1 og 20 vejledere."),
        metadata={"description": "Mødets vejledere (gentag parameteren for flere); alle skal være ledige."},
    )
    first_date = fields.Date(required=True, metadata={"description": "Første dag (ÅÅÅÅ-MM-DD), lokal dato."})
    last_date = fields.Date(required=True, metadata={"description": "Sidste dag (inklusiv), højst 92 dage efter."})
    duration_minutes = fields.Integer(
        required=True,
        validate=Range(min=5, max=480, error="Varigheden skal være mellem 5 og 480 minutter."),
        metadata={"description": "Mødets varighed i minutter."},
    )
    reporting_minutes = fields.Integer(
        load_default=0,
        validate=Range(min=0, max=240, error="Afrapporteringstiden skal være mellem 0 og 240 minutter."),
        metadata={"description": "Minutter efter mødet, hvor vejlederne også er optaget (standard 0)."},
    )
    start_minutes = fields.List(
        fields.Integer(validate=Range(min=0, max=59, error="Skal være et minuttal (0-59).")),
        load_default=lambda: [0, 15, 30, 45],
        metadata={"description": f"Tilladte minutter over hel (delmængde af {ALLOWED}; standard 0, 15, 30, 45)."},
    )


class GroupMeetingTimeOut(Schema):
    start = fields.DateTime(metadata={"description": "Mødets start (ISO 8601 med UTC-forskydning)."})
    end = fields.DateTime(metadata={"description": "Mødets slut (eksklusiv, uden afrapporteringstid)."})


class GroupMeetingTimesOut(Schema):
    window_start = fields.DateTime(metadata={"description": "Fra (tidligst nu)."})
    window_end = fields.DateTime(metadata={"description": "Til (midnat efter sidste dag)."})
    times = fields.List(fields.Nested(GroupMeetingTimeOut), metadata={"description": "Tider, hvor alle er ledige."})
    withheld_advisor_ids = fields.List(
        fields.UUID(),
        metadata={
            "description": "Vejledere, hvis kalenderdata mangler eller er for gamle: så tilbydes ingen tider, "
            "for mødet kræver dem alle."
        },
    )
