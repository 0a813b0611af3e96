"""Demo data the hook workflows fire on (workflows/builtin): orders, cases, a quote and an invoice whose
customer is an account (Contoso, primary contact David Smith) or a contact (David Smith); and Peter
Parker, a contact of dataverse_seed, backdated to 100 days ago and never modified since (the
inactivity reminder's target; no contact is added, so the contact lists of other tests stay as they are).

Rows are (entity set, Web API body) like dataverse_seed.ROWS, which includes them.
"""
from __future__ import annotations

from datetime import datetime, timezone

INACTIVE_DAYS = 100              # how long ago the inactive contact was created

ORDER_CONTOSO_ID = "50000000-0000-4000-8000-000000000001"   # ORD-1001, 1 250,50 €, Submitted
ORDER_SMITH_ID = "50000000-0000-4000-8000-000000000002"     # ORD-1002, 89,90 €, Submitted
ORDER_FABRIKAM_ID = "50000000-0000-4000-8000-000000000003"  # ORD-1003: the account has no primary contact
CASE_CONTOSO_ID = "1c000000-0000-4000-8000-000000000001"    # CAS-01001-A1B2, Active
CASE_SMITH_ID = "1c000000-0000-4000-8000-000000000002"      # CAS-01002-C3D4, Active
QUOTE_SMITH_ID = "90000000-0000-4000-8000-000000000001"     # QUO-01001, 420 €, Draft
INVOICE_CONTOSO_ID = "1e000000-0000-4000-8000-000000000001"  # INV-01001, 1 250,50 €, Active


def customer(kind: str, record_id: str) -> dict:
    """The `customerid` bind of an order, case, quote or invoice."""
    return {f"customerid_{kind}@odata.bind": f"/{kind}s({record_id})"}


def hook_rows(contoso_id: str, smith_id: str, fabrikam_id: str) -> list[tuple[str, dict]]:
    """Orders, cases, a quote and an invoice of the given customers."""
    contoso, smith, fabrikam = customer("account", contoso_id), customer("contact", smith_id), \
        customer("account", fabrikam_id)
    submitted = {"statecode": 1, "statuscode": 2}
    return [
        ("salesorders", {"salesorderid": ORDER_CONTOSO_ID, "ordernumber": "ORD-1001", "name": "Commande Contoso",
                         "totalamount": 1250.5, **submitted, **contoso}),
        ("salesorders", {"salesorderid": ORDER_SMITH_ID, "ordernumber": "ORD-1002", "name": "Commande Smith",
                         "totalamount": 89.9, **submitted, **smith}),
        ("salesorders", {"salesorderid": ORDER_FABRIKAM_ID, "ordernumber": "ORD-1003",
                         "name": "Commande Fabrikam", "totalamount": 15.0, **submitted, **fabrikam}),
        ("incidents", {"incidentid": CASE_CONTOSO_ID, "ticketnumber": "CAS-01001-A1B2",
                       "title": "Imprimante en panne", "statecode": 0, "statuscode": 1, **contoso}),
        ("incidents", {"incidentid": CASE_SMITH_ID, "ticketnumber": "CAS-01002-C3D4",
                       "title": "Livraison incomplète", "statecode": 0, "statuscode": 1, **smith}),
        ("quotes", {"quoteid": QUOTE_SMITH_ID, "quotenumber": "QUO-01001", "name": "Devis Smith",
                    "totalamount": 420.0, "statecode": 0, "statuscode": 1, **smith}),
        ("invoices", {"invoiceid": INVOICE_CONTOSO_ID, "invoicenumber": "INV-01001", "name": "Facture Contoso",
                      "totalamount": 1250.5, "statecode": 0, "statuscode": 1, **contoso}),
    ]


def backdate(emulator, entity_set: str, row_id: str, moment: datetime) -> None:
    """Set a row's `createdon` and `modifiedon` to `moment`, as a data migration does
    (`overriddencreatedon` in Dataverse): a record created then and never modified since."""
    _, data = emulator.store.get(entity_set, row_id.lower())
    data["createdon"] = data["modifiedon"] = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    emulator.store.update(entity_set, row_id.lower(), data)
