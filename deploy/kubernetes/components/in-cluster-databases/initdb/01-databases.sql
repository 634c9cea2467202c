-- One database per service (each service owns its data); the application user (MARIADB_USER, created by
-- the image's entry point before this runs) gets those and nothing else.
CREATE DATABASE IF NOT EXISTS ashapp_gateway CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS ashapp_assistant CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS ashapp_deployer CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS ashapp_history CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS ashapp_monitor CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
GRANT ALL PRIVILEGES ON `ashapp\_%`.* TO 'ashapp'@'%';
FLUSH PRIVILEGES;
