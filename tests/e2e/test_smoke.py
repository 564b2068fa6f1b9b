from tests.e2e.conftest import Api


async def test_a_customer_registers_logs_in_and_sees_themselves(api: Api) -> None:
    headers = await api.customer("Ann@Example.com")
    response = await api.client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 200
    assert response.json()["email"] == "ann@example.com"
    assert response.json()["role"] == "customer"
