"""The emulator's start-up shortcuts (xacct_infra/local.py) change how fast moto answers, never what:
each is checked against what moto and botocore answer without it."""

from __future__ import annotations

from tests.conftest import A_ID


def test_region_lists_are_botocores_own(emulator_server) -> None:
    import botocore.session

    shared_lists = botocore.session.Session.get_available_regions
    assert getattr(shared_lists, "xacct_shared", False)  # the emulator is running
    asked = [("ec2", p, False) for p in ("aws", "aws-us-gov", "aws-cn")] + [("iam", "aws", True), ("sts", "aws-cn", False)]
    theirs = botocore.session.Session()  # botocore's own answers, from a session of their own
    for service, partition, non_regional in asked:
        fresh = shared_lists.xacct_original(theirs, service, partition, non_regional)
        assert botocore.session.Session().get_available_regions(service, partition, non_regional) == fresh and fresh
    listed = botocore.session.Session().get_available_regions("iam", allow_non_regional=True)
    listed.append("mutated by a caller")
    assert "mutated by a caller" not in botocore.session.Session().get_available_regions("iam", allow_non_regional=True)


def test_each_request_reaches_the_service_it_names(emulator) -> None:
    """The remembered host -> backend answers route every service the tests use, whatever came first."""
    creds = emulator.mint(A_ID)
    assert emulator.client("sts", credentials=creds).get_caller_identity()["Account"] == A_ID
    assert emulator.client("iam", credentials=creds).list_roles()["Roles"] == []
    assert emulator.client("dynamodb", credentials=creds).list_tables()["TableNames"] == []
    assert emulator.client("kms", credentials=creds).list_keys()["Keys"] == []
    assert emulator.client("cloudformation", credentials=creds).describe_stacks()["Stacks"] == []
    assert emulator.client("s3", credentials=creds).list_buckets()["Buckets"] == []
    # the same services again, now answered from the remembered routes
    assert emulator.client("dynamodb", credentials=creds).list_tables()["TableNames"] == []
    assert emulator.client("sts", credentials=creds).get_caller_identity()["Account"] == A_ID


def test_a_symmetric_key_encrypts_and_an_asymmetric_key_still_signs(emulator) -> None:
    kms = emulator.client("kms", credentials=emulator.mint(A_ID))
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=symmetric, Plaintext=b"secret")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    assert kms.verify(KeyId=signing, Message=b"m", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256")["SignatureValid"]


def test_a_session_with_models_of_its_own_gets_its_own_region_lists(emulator_server, tmp_path) -> None:
    import json

    import botocore.session
    from botocore.loaders import create_loader

    endpoints = create_loader().load_data("endpoints")
    aws = next(p for p in endpoints["partitions"] if p["partition"] == "aws")
    aws["services"]["ec2"]["endpoints"]["us-fake-1"] = {}
    aws["regions"]["us-fake-1"] = {"description": "a region only this session knows"}
    (tmp_path / "endpoints.json").write_text(json.dumps(endpoints))
    own = botocore.session.Session()
    own.set_config_variable("data_path", str(tmp_path))
    assert "us-fake-1" in own.get_available_regions("ec2")
    assert "us-fake-1" not in botocore.session.Session().get_available_regions("ec2")
