//! `parse_error_message` and `parse_transaction_status` against answers of the SDK's own code
//! for inputs the vector file does not cover (error-array shapes, prefixes, white space, JS
//! `String()` of numbers, arrays and objects; cleanup ops, truthy non-boolean flags, statuses
//! without a message).
//!
//! Provenance of `SDK_CASES`: each `output` was produced on 2026-12-01 by running
//! `dist/_esm/account/utils/parseErrorMessage.js` and `parseTransactionStatus.js` of the npm
//! package `@biconomy/abstractjs` 1.2.3 under node 20.20.2 on the listed inputs (the package is
//! not vendored; only inputs and recorded outputs are here).

use serde_json::Value;
use smart_sessions_mee::node::{ReceiptMode, parse_error_message, parse_transaction_status};

const SDK_CASES: &str = r#"[
{"function":"parseErrorMessage","error":{"errors":[{"msg":"bad","path":"userOps.0"},{"message":"worse"}]},"output":"userOps.0: bad\nworse"},
{"function":"parseErrorMessage","error":{"errors":["Error: x \"reason\":\"r\""]},"output":"r"},
{"function":"parseErrorMessage","error":{"errors":["execution reverted: errorArgs=[0, \"AA21 didn't pay prefund\"]"]},"output":"AA21 didn't pay prefund"},
{"function":"parseErrorMessage","error":{"errors":[{"msg":"a","path":"p"},"str",{"message":0,"msg":"m2"},{"path":"q"}]},"output":"p: a\n\nm2\nq: undefined"},
{"function":"parseErrorMessage","error":{"errors":[{"message":"m","path":""}]},"output":"m"},
{"function":"parseErrorMessage","error":{"errors":[]},"output":"[object Object]"},
{"function":"parseErrorMessage","error":{"type":"AcrossApiError","message":"m"},"output":"AcrossApiError: m"},
{"function":"parseErrorMessage","error":{"type":"AcrossApiError"},"output":"AcrossApiError: "},
{"function":"parseErrorMessage","error":{"statusText":"Bad Gateway"},"output":"Bad Gateway"},
{"function":"parseErrorMessage","error":{"message":"Error: wrapped errorArgs=[1, \"inner\"]"},"output":"inner"},
{"function":"parseErrorMessage","error":{"message":"","statusText":"","other":1},"output":"[object Object]"},
{"function":"parseErrorMessage","error":{"message":{"nested":1}},"output":"[object Object]"},
{"function":"parseErrorMessage","error":{"message":42},"output":"42"},
{"function":"parseErrorMessage","error":{"foo":1},"output":"[object Object]"},
{"function":"parseErrorMessage","error":"error","output":""},
{"function":"parseErrorMessage","error":"ERROR","output":""},
{"function":"parseErrorMessage","error":" error ","output":"error"},
{"function":"parseErrorMessage","error":"Error:","output":""},
{"function":"parseErrorMessage","error":"Details:  x ","output":"x"},
{"function":"parseErrorMessage","error":"  Message:   spaced  ","output":"Message:   spaced"},
{"function":"parseErrorMessage","error":"MESSAGE:   spaced  ","output":"spaced"},
{"function":"parseErrorMessage","error":"prefix errorArgs=[0, \"AA33 reverted\", \"0x1234\"] tail","output":"AA33 reverted"},
{"function":"parseErrorMessage","error":"errorArgs=[0, \"\"]","output":"errorArgs=[0, \"\"]"},
{"function":"parseErrorMessage","error":"x code=UNPREDICTABLE_GAS_LIMIT, version=5","output":"UNPREDICTABLE_GAS_LIMIT"},
{"function":"parseErrorMessage","error":"{\"reason\":\"\"} and \"reason\":\"second\"","output":"second"},
{"function":"parseErrorMessage","error":"multi\nline errorArgs=[0,\n \"AA10 sender already constructed\"]","output":"AA10 sender already constructed"},
{"function":"parseErrorMessage","error":"\u00a0\ufefftrimmed\u2003","output":"trimmed"},
{"function":"parseErrorMessage","error":null,"output":"null"},
{"function":"parseErrorMessage","error":true,"output":"true"},
{"function":"parseErrorMessage","error":false,"output":"false"},
{"function":"parseErrorMessage","error":0,"output":"0"},
{"function":"parseErrorMessage","error":1,"output":"1"},
{"function":"parseErrorMessage","error":1.5,"output":"1.5"},
{"function":"parseErrorMessage","error":-3,"output":"-3"},
{"function":"parseErrorMessage","error":12345678901234567000,"output":"12345678901234567000"},
{"function":"parseErrorMessage","error":[1,null,"a"],"output":"1,,a"},
{"function":"parseErrorMessage","error":[[1,2],[3]],"output":"1,2,3"},
{"function":"parseErrorMessage","error":[{}],"output":"[object Object]"},
{"function":"parseErrorMessage","error":[],"output":""},
{"function":"parseTransactionStatus","userOps":[{"executionStatus":"PENDING","isConfirmed":false,"executionError":"waiting for funds"},{"executionStatus":"MINED_SUCCESS","isConfirmed":true}],"mode":"default","output":{"status":"PENDING","isFinalised":false,"message":"[0] waiting for funds"}},
{"function":"parseTransactionStatus","userOps":[{"executionStatus":"PENDING","isConfirmed":false},{"executionStatus":"MINED_SUCCESS","isConfirmed":true}],"mode":"default","output":{"status":"PENDING","isFinalised":false,"message":"[0] Transaction is pending, waiting for conditions to be met"}},
{"function":"parseTransactionStatus","userOps":[{"executionStatus":"MINED_SUCCESS","isConfirmed":true},{"executionStatus":"FAILED","isConfirmed":true,"isCleanUpUserOp":true}],"mode":"default","output":{"status":"MINED_SUCCESS","isFinalised":true,"message":"[0] Transaction executed successfully"}},
{"function":"parseTransactionStatus","userOps":[{"executionStatus":"FAILED","isConfirmed":true,"isCleanUpUserOp":true}],"mode":"default","output":{"status":"MINED_SUCCESS","isFinalised":true,"message":"[-1] Transaction executed successfully"}},
{"function":"parseTransactionStatus","userOps":[{"executionStatus":"MINED_FAIL","isConfirmed":false,"executionError":"late"},{"executionStatus":"MINED_SUCCESS","isConfirmed":true}],"mode":"default","output":{"status":"PENDING","isFinalised":false,"message":""}},
{"function":"parseTransactionStatus","userOps":[{"executionStatus":"MINED_FAIL","isConfirmed":false},{"executionStatus":"PENDING","isConfirmed":false}],"mode":"fast-block","output":{"status":"MINED_FAIL","isFinalised":true,"message":"[0] Transaction failed on-chain"}},
{"function":"parseTransactionStatus","userOps":[{"executionStatus":"MINED_SUCCESS","isConfirmed":true},{"executionStatus":"FAILED","isConfirmed":true,"executionError":""},{"executionStatus":"FAILED","isConfirmed":true,"executionError":"second"}],"mode":"default","output":{"status":"FAILED","isFinalised":true,"message":"[1] Transaction failed off-chain"}},
{"function":"parseTransactionStatus","userOps":[{"executionStatus":"MINED_SUCCESS","isConfirmed":1},{"executionStatus":"MINED_SUCCESS","isConfirmed":"yes"}],"mode":"default","output":{"status":"MINED_SUCCESS","isFinalised":true,"message":"[0] Transaction executed successfully"}},
{"function":"parseTransactionStatus","userOps":[{"executionStatus":"MINED_SUCCESS","isConfirmed":true,"isCleanUpUserOp":0},{"executionStatus":"MINING","isConfirmed":true,"isCleanUpUserOp":1},{"executionStatus":"MINED_SUCCESS","isConfirmed":true}],"mode":"default","output":{"status":"MINED_SUCCESS","isFinalised":true,"message":"[0] Transaction executed successfully"}},
{"function":"parseTransactionStatus","userOps":[{"executionStatus":"MINED_FAIL","isConfirmed":true,"executionError":{"code":3}}],"mode":"default","output":{"status":"MINED_FAIL","isFinalised":true,"message":"[0] [object Object]"}},
{"function":"parseTransactionStatus","userOps":[{"executionStatus":"MINED_SUCCESS","isConfirmed":false},{"executionStatus":"MINED_FAIL","isConfirmed":false}],"mode":"default","output":{"status":"PENDING","isFinalised":false,"message":""}},
{"function":"parseTransactionStatus","userOps":[{"isConfirmed":true},{"executionStatus":"MINED_SUCCESS","isConfirmed":true}],"mode":"default","output":{"status":"PENDING","isFinalised":false,"message":""}}
]"#;

#[test]
fn answers_equal_the_sdk_code() {
    let cases: Vec<Value> = serde_json::from_str(SDK_CASES).unwrap();
    let mut checked = 0;
    for case in &cases {
        match case["function"].as_str().unwrap() {
            "parseErrorMessage" => {
                let got = parse_error_message(&case["error"]);
                assert_eq!(
                    got,
                    case["output"].as_str().unwrap(),
                    "parseErrorMessage({})",
                    case["error"]
                );
            }
            "parseTransactionStatus" => {
                let mode = ReceiptMode::from_name(case["mode"].as_str().unwrap()).unwrap();
                let fold = parse_transaction_status(case["userOps"].as_array().unwrap(), mode);
                let want = &case["output"];
                assert_eq!(fold.status.as_str(), want["status"], "status of {}", case["userOps"]);
                assert_eq!(
                    fold.is_finalised, want["isFinalised"],
                    "isFinalised of {}",
                    case["userOps"]
                );
                assert_eq!(fold.message, want["message"], "message of {}", case["userOps"]);
            }
            other => panic!("unknown case {other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 51);
}
