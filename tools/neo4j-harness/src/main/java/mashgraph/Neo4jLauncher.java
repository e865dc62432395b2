package mashgraph;

import java.nio.file.Path;
import java.util.Map;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * Neo4j 5 Community with Bolt on a free 127.0.0.1 port and auth on, for tests and benchmarks.
 *
 * Usage: NEO4J_HARNESS_PASSWORD=... java [-Xmx...] -cp ... mashgraph.Neo4jLauncher DATA_DIR [PAGECACHE_MB]
 * Prints "NEO4J_URI=bolt://127.0.0.1:PORT" once the user neo4j has that password; stops cleanly
 * when its standard input closes or on SIGTERM.
 */
public final class Neo4jLauncher {
    public static void main(String[] args) throws Exception {
        String password = System.getenv("NEO4J_HARNESS_PASSWORD");
        if (args.length < 1 || password == null || password.length() < 8) {
            System.err.println("usage: NEO4J_HARNESS_PASSWORD=(8+ characters) Neo4jLauncher DATA_DIR [PAGECACHE_MB]");
            System.exit(2);
        }
        long pageCacheMb = args.length > 1 ? Long.parseLong(args[1]) : 512;
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(Path.of(args[0]))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", 0))
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMb))
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown));
        dbms.database("system").executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        GraphDatabaseAPI db = (GraphDatabaseAPI) dbms.database("neo4j");
        int port = db.getDependencyResolver().resolveDependency(ConnectorPortRegister.class)
                .getLocalAddress(ConnectorType.BOLT).getPort();
        System.out.println("NEO4J_URI=bolt://127.0.0.1:" + port);
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the caller to close our standard input
        }
        System.exit(0);  // runs the shutdown hook
    }
}
