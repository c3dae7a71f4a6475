from .helpers import Api


def test_create_customer_invoice_and_approve(api: Api) -> None:
    customer = api.private_customer()
    assert customer["kind"] == "private"
    invoice = api.approved(customer)
    assert invoice["status"] == "approved"
    assert invoice["number"] == 1
    assert invoice["totals"]["to_pay"] == "1250.00"
