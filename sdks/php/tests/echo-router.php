<?php

// The router of the `php -S` server StreamHttpClientTest starts: answers with what it received, with the
// status and Retry-After the request asks for (X-Test-Status, X-Test-Retry-After); /slow never answers
// in time.

if ($_SERVER['REQUEST_URI'] === '/slow') {
    sleep(3);
}
$headers = function_exists('getallheaders') ? getallheaders() : [];
http_response_code((int) ($_SERVER['HTTP_X_TEST_STATUS'] ?? 200));
if (isset($_SERVER['HTTP_X_TEST_RETRY_AFTER'])) {
    header('Retry-After: ' . $_SERVER['HTTP_X_TEST_RETRY_AFTER']);
}
header('Content-Type: application/json');
echo json_encode([
    'method' => $_SERVER['REQUEST_METHOD'],
    'target' => $_SERVER['REQUEST_URI'],
    'body' => file_get_contents('php://input'),
    'headers' => array_change_key_case($headers, CASE_LOWER),
]);
