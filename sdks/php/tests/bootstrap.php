<?php

declare(strict_types=1);

// The tests load the SDK the way Composer's PSR-4 autoloader would, without needing `composer install`
// (Debian's phpunit runs them; Packagist is not needed).
spl_autoload_register(static function (string $class): void {
    foreach (['LatteStream\\Tests\\' => __DIR__ . '/', 'LatteStream\\' => __DIR__ . '/../src/'] as $prefix => $dir) {
        if (str_starts_with($class, $prefix)) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});
